"""Digitisation at the counter (số hóa; Decree 45/2020/NĐ-CP, issue 14): the desk officer
`tiepnhan` receives a paper dossier for the demo citizen, leaves the paper "Giấy chứng nhận đã
cấp (bản gốc)" as a scan not yet digitised, finds the dossier again in the desk's "Chờ số
hóa" queue, digitises the component from the scan taken at intake with its metadata and
certifies the copy with their own signature; the dossier leaves the queue. The citizen then
opens "Kho dữ liệu của tôi" and finds the copy, digitised by that officer from that dossier,
certified, and downloads it. Only clicks and typing; the rows are found by the dossier code
and the document number this walk made."""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect

DEMO_CITIZEN = "0912345678"
DEMO_PERSONAL_ID = "066090001234"  # README
DESK = "tiepnhan"
OFFICER_NAME = "Trần Thị Bình"  # tiepnhan (people/demo.py)
PROCEDURE = "1.115345"  # Cấp đổi Giấy chứng nhận quyền sử dụng đất (Sở NN&MT, at the centre)
PAPER = "Giấy chứng nhận đã cấp (bản gốc)"
KIND = "Giấy chứng nhận quyền sử dụng đất"


def scan_png() -> bytes:
    """What a desk scanner gives: an image of the paper (made a PDF when digitised)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (827, 1169), "white")
    ImageDraw.Draw(image).text((60, 80), "GIAY CHUNG NHAN QUYEN SU DUNG DAT", fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_officer_digitises_a_counter_paper_and_the_citizen_finds_it(journey, tmp_path):
    number = f"CS {journey.unique.upper()}"
    scan = tmp_path / "giay-chung-nhan.png"
    scan.write_bytes(scan_png())

    desk = journey.person("can-bo-tiep-nhan")
    page = desk.page
    desk.sign_in_official(DESK)
    desk.goto("/mot-cua/")
    desk.check("mot-cua")
    page.get_by_role("link", name="Tiếp nhận hồ sơ trực tiếp hoặc qua bưu chính").click()
    page.wait_for_load_state()
    desk.check("chon-thu-tuc")
    page.get_by_label("Thủ tục công dân yêu cầu").fill(PROCEDURE)
    page.get_by_role("button", name="Tìm", exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("link", name=re.compile(f"^{re.escape(PROCEDURE)} · ")).click()
    page.wait_for_load_state()
    desk.check("tiep-nhan")

    # the citizen at the desk: their papers, and one of them handed in as a scan only
    page.get_by_label("Số định danh cá nhân (CCCD)").fill(DEMO_PERSONAL_ID)
    page.get_by_label("Họ và tên", exact=True).fill("Nguyễn Văn An")
    page.get_by_label("Số điện thoại", exact=True).fill(DEMO_CITIZEN)
    page.get_by_label(re.compile(r"^Họ, chữ đệm, tên người yêu cầu")).fill("Nguyễn Văn An")
    page.get_by_label(re.compile(r"^Số định danh cá nhân \(bắt buộc\)")).fill(DEMO_PERSONAL_ID)
    page.get_by_label(re.compile(r"^Số điện thoại \(bắt buộc\)")).fill(DEMO_CITIZEN)
    page.get_by_label(re.compile("^Nội dung đề nghị")).fill(
        f"Cấp đổi Giấy chứng nhận quyền sử dụng đất đã cũ, nát ({journey.unique})."
    )
    paper = page.locator("p").filter(has=page.get_by_label(PAPER, exact=True))
    paper.get_by_label(PAPER, exact=True).set_input_files(str(scan))
    paper.get_by_label("Đã số hóa (bản điện tử có giá trị)").uncheck()
    page.get_by_role("button", name="Tiếp nhận và in giấy hẹn").click()
    page.wait_for_url(re.compile(r"/mot-cua/ho-so/[^/]+/$"))
    desk.check("da-tiep-nhan")
    found = re.search(r"Đã tiếp nhận hồ sơ ([0-9A-Z.\-]+)\.", page.inner_text("main"))
    assert found, "no dossier code after the intake"
    code = found.group(1)
    # where the officer lands right after the intake says the paper still waits
    expect(page.locator("#con-cho-so-hoa")).to_contain_text(
        "Còn 1 thành phần nộp bằng giấy chưa số hóa"
    )

    # later: back to the queues, the desk's "Chờ số hóa" lists it
    page.get_by_role("link", name="← Hàng đợi công việc").click()
    page.wait_for_load_state()
    queues = page.get_by_role("navigation", name="Hàng đợi công việc")
    queues.get_by_role("link", name=re.compile("^Chờ số hóa")).click()
    page.wait_for_load_state()
    desk.check("cho-so-hoa")
    expect(page.get_by_role("heading", level=1)).to_have_text("Chờ số hóa")
    page.get_by_role("link", name=code, exact=True).click()
    page.wait_for_load_state()
    desk.check("ho-so")

    component = page.locator("li.component").filter(has_text=PAPER).first
    expect(component).to_contain_text("Chưa số hóa")
    component.get_by_text("Số hóa thành phần này").click()
    form = component.locator("details.digitise form")
    # the scan taken at intake is offered: no second upload of the same paper
    expect(form.get_by_label("Bản quét đã nhận khi tiếp nhận")).to_contain_text(scan.name)
    form.get_by_label("Loại giấy tờ").select_option(label=KIND)
    form.get_by_label("Số, ký hiệu").fill(number)
    form.get_by_label("Cơ quan cấp").fill("Sở Tài nguyên và Môi trường tỉnh Đắk Lắk")
    form.get_by_label("Ngày cấp").fill("2019-06-20")
    desk.check("dien-so-hoa")
    form.get_by_role("button", name="Số hóa và chứng thực").click()
    page.wait_for_load_state()
    desk.check("da-so-hoa")
    expect(page.locator("main")).to_contain_text(
        f"Đã số hóa và chứng thực “{PAPER}”; bản sao điện tử đã vào kho dữ liệu của công dân."
    )
    component = page.locator("li.component").filter(has_text=PAPER).first
    expect(component.locator(".marks")).to_contain_text("Đã số hóa")
    expect(component.locator(".marks")).not_to_contain_text("Chưa số hóa")
    copy = component.locator("[data-provenance]").filter(has_text=number)
    expect(copy).to_contain_text(f"Bản số hóa tại quầy: số hóa bởi {OFFICER_NAME}")
    signature = copy.locator("[data-signature]")
    expect(signature).to_have_attribute("data-signature", "certified_copy")
    expect(signature).to_contain_text("Bản sao điện tử do cán bộ chứng thực bằng chữ ký số")
    expect(page.locator("#con-cho-so-hoa")).to_have_count(0)

    # done: the queue no longer lists it
    page.get_by_role("link", name="← Hàng đợi công việc").click()
    page.wait_for_load_state()
    page.get_by_role("navigation", name="Hàng đợi công việc").get_by_role(
        "link", name=re.compile("^Chờ số hóa")
    ).click()
    page.wait_for_load_state()
    desk.check("cho-so-hoa-sau")
    expect(page.get_by_role("link", name=code, exact=True)).to_have_count(0)

    # the citizen finds the certified copy in their store
    citizen = journey.person("cong-dan")
    cpage = citizen.page
    citizen.sign_in(DEMO_CITIZEN)
    cpage.wait_for_url(lambda url: "/dang-nhap/" not in url)
    cpage.get_by_role("link", name="Nguyễn Văn An").first.click()
    cpage.wait_for_load_state()
    cpage.get_by_role("link", name="Kho dữ liệu của tôi").first.click()
    cpage.wait_for_url(re.compile(r"/kho-du-lieu/$"))
    citizen.check("kho-du-lieu")
    row = cpage.get_by_role("row").filter(has_text=number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(KIND)
    expect(row).to_contain_text(f"Số hóa tại Bộ phận Một cửa {code}")
    expect(row).to_contain_text(f"cán bộ số hóa: {OFFICER_NAME}")
    expect(row).to_contain_text("Bản sao do cán bộ chứng thực")
    row.get_by_role("link", name=KIND).click()
    cpage.wait_for_url(re.compile(r"/kho-du-lieu/\d+/$"))
    citizen.check("giay-to-so-hoa")
    details = cpage.locator("dl.details")
    expect(details).to_contain_text("20/06/2019")
    expect(details).to_contain_text("Sở Tài nguyên và Môi trường tỉnh Đắk Lắk")
    expect(details).to_contain_text(OFFICER_NAME)
    with cpage.expect_download() as got:
        cpage.get_by_role("link", name=re.compile("^Tải tệp về")).click()
    pdf = got.value.path().read_bytes()
    # the scan became a PDF carrying the officer's signature field (ChungThucBanSao)
    assert pdf.startswith(b"%PDF-") and b"/ByteRange" in pdf and b"ChungThucBanSao" in pdf
