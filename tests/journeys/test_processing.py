"""Journey 2: a dossier from submission to its result, by the people on its route.

For a provincial procedure (Sở Xây dựng: received at the provincial service centre) and for a
commune-level one (birth registration at phường Tuy Hòa, the staffed demo commune: received at
its one-stop desk): the demo citizen submits by clicking; the receiving officer receives it;
the specialist opens the workbench, reads the e-form answers, previews and downloads the
citizen's file, attaches a draft result and a tờ trình and forwards; the leader reads the
papers and approves (with a confirmation); the specialist attaches the signed result and marks
it ready; the desk returns it; the citizen downloads the result and rates the service.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image
from playwright.sync_api import expect

DEMO_CITIZEN = "0912345678"


def pdf(colour: tuple[int, int, int] = (250, 250, 245)) -> bytes:
    """A real one-page PDF, as a scanner app or the office's signing tool makes it."""
    buffer = io.BytesIO()
    Image.new("RGB", (200, 280), colour).save(buffer, "PDF")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> dict[str, object]:
    return {"name": name, "mimeType": "application/pdf", "buffer": content}


@dataclass(frozen=True)
class Route:
    procedure: str  # national code
    agency: str  # the competent agency to pick, "" when the procedure names it
    desk: str
    specialist: str
    leader: str
    component: str  # the start of the component's name the citizen attaches a file to


PROVINCIAL = Route(
    "1.013237", "", "tiepnhan", "chuyenvien.sxd", "lanhdao.sxd", "- Đơn đề nghị cấp chứng chỉ"
)
COMMUNE = Route(
    "1.001193",
    "Ủy ban nhân dân phường Tuy Hòa",
    "tiepnhan.xa",
    "chuyenvien.xa",
    "chutich.xa",
    "- Giấy chứng sinh; trường hợp không có",
)


def submit(journey, route: Route, fill_form) -> tuple[object, str]:
    """The citizen submits a dossier by clicking; returns (citizen, dossier code)."""
    citizen = journey.person("cong-dan")
    page = citizen.page
    citizen.sign_in(DEMO_CITIZEN)
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)
    citizen.check("da-dang-nhap")
    citizen.goto(f"/thu-tuc/{route.procedure}/")
    citizen.check("thu-tuc")
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").first.click()
    page.wait_for_load_state()
    citizen.check("bat-dau")
    if route.agency:
        page.get_by_label(re.compile("Cơ quan giải quyết")).select_option(label=route.agency)
    page.get_by_role("button", name="Bắt đầu nộp hồ sơ").click()
    page.wait_for_load_state()
    citizen.check("to-khai")
    fill_form(page)
    page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.wait_for_load_state()
    citizen.check("giay-to")
    page.get_by_text(re.compile("^" + re.escape(route.component))).first.click()
    opened = page.locator("details[open]").filter(has_text=route.component).first
    opened.locator("input[type=file]").set_input_files(upload("don-de-nghi.pdf", pdf()))
    opened.get_by_role("button", name=re.compile("Tải lên")).click()
    page.wait_for_load_state()
    page.get_by_text("Đã tải lên 1 tệp.").wait_for()
    citizen.check("da-tai-len")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()
    citizen.check("nhan-ket-qua")
    page.locator("input[name=delivery][value=online]").check()
    page.get_by_role("button", name="Lưu và tiếp tục").click()
    page.wait_for_load_state()
    citizen.check("xem-lai")
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.wait_for_load_state()
    citizen.check("da-nop")
    found = re.search(r"Mã hồ sơ của Ông/Bà là ([0-9A-Z.\-]+)", page.inner_text("main"))
    assert found, "no dossier code after submission"
    return citizen, found.group(1).rstrip(".")


def open_from_queue(person, queue: str, code: str, step: str) -> None:
    """From the one-stop home, the queue's tab, then the dossier's code in it."""
    page = person.page
    person.goto("/mot-cua/")
    person.check(f"{step}-mot-cua")
    page.get_by_role("navigation", name="Hàng đợi công việc").get_by_role(
        "link", name=re.compile("^" + queue)
    ).click()
    page.wait_for_load_state()
    person.check(f"{step}-hang-doi")
    page.get_by_role("link", name=code, exact=True).click()
    page.wait_for_load_state()
    person.check(f"{step}-ho-so")


def official(journey, username: str):
    person = journey.person(username)
    person.sign_in_official(username)
    person.check("da-dang-nhap")
    return person


def walk(journey, route: Route, fill_form, answer: str) -> None:
    citizen, code = submit(journey, route, fill_form)

    # the desk receives it: no forward button for the desk afterwards
    desk = official(journey, route.desk)
    open_from_queue(desk, "Chờ tiếp nhận", code, "tiep-nhan")
    desk.page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    desk.page.wait_for_load_state()
    desk.check("da-tiep-nhan")
    main = desk.page.locator("main")
    expect(main).to_contain_text("Đã tiếp nhận hồ sơ")
    expect(main).to_contain_text("Bạn không có thao tác nào với hồ sơ ở bước này")
    assert desk.page.get_by_role("button", name="Chuyển bước tiếp theo").count() == 0

    # the specialist reads what the citizen sent, previews and downloads the file, forwards
    specialist = official(journey, route.specialist)
    open_from_queue(specialist, "Hồ sơ của đơn vị", code, "tham-dinh")
    page = specialist.page
    answers = page.locator("table.answers")
    expect(answers.first).to_be_visible()
    expect(page.locator("main")).to_contain_text(answer)
    page.locator("details.preview > summary").first.click()
    expect(page.locator("details.preview[open] iframe").first).to_be_visible()
    specialist.check("xem-truoc")
    with page.expect_download() as got:
        page.get_by_role("link", name=re.compile("^Tải về don-de-nghi")).first.click()
    assert got.value.path().read_bytes().startswith(b"%PDF")
    page.get_by_label("Ý kiến xử lý").fill("Hồ sơ đầy đủ, hợp lệ; đề nghị phê duyệt.")
    page.get_by_label(re.compile("^Dự thảo kết quả")).set_input_files(
        upload("du-thao-ket-qua.pdf", pdf((240, 240, 255)))
    )
    page.get_by_label(re.compile("^Tờ trình")).set_input_files(
        upload("to-trinh.pdf", pdf((255, 245, 235)))
    )
    page.get_by_role("button", name="Chuyển bước tiếp theo").click()
    page.wait_for_load_state()
    specialist.check("da-chuyen")
    expect(page.locator("main")).to_contain_text("Đã chuyển bước tiếp theo")

    # the leader reads the papers and approves, confirming the decision
    leader = official(journey, route.leader)
    open_from_queue(leader, "Hồ sơ của đơn vị", code, "phe-duyet")
    page = leader.page
    expect(page.locator("main")).to_contain_text("du-thao-ket-qua.pdf")
    expect(page.locator("main")).to_contain_text("to-trinh.pdf")
    page.get_by_role("button", name="Phê duyệt", exact=True).click()
    page.wait_for_load_state()
    leader.check("xac-nhan-phe-duyet")
    page.get_by_role("button", name="Xác nhận phê duyệt").click()
    page.wait_for_load_state()
    leader.check("da-phe-duyet")
    expect(page.locator("main")).to_contain_text("Đã phê duyệt")

    # the specialist attaches the signed result and marks it ready
    page = specialist.page
    page.reload()
    page.wait_for_load_state()
    specialist.check("ket-qua")
    page.get_by_label("Tệp kết quả (PDF đã ký số)").set_input_files(
        upload("ket-qua.pdf", pdf((235, 255, 235)))
    )
    page.get_by_role("button", name="Đính kèm kết quả").click()
    page.wait_for_load_state()
    specialist.check("da-dinh-kem")
    page.get_by_role("button", name="Xác nhận đã có kết quả").click()
    page.wait_for_load_state()
    specialist.check("da-co-ket-qua")

    # the desk finds it in its queue of results to return, and returns it online
    open_from_queue(desk, "Chờ trả kết quả", code, "tra-ket-qua")
    page = desk.page
    page.get_by_label("Cách trả kết quả").select_option("online")
    page.get_by_role("button", name="Trả kết quả").click()
    page.wait_for_load_state()
    desk.check("da-tra")
    expect(page.locator("main")).to_contain_text("Đã trả kết quả trực tuyến.")

    # the citizen sees the result, downloads it and rates the service
    page = citizen.page
    page.get_by_role("link", name=re.compile("Hồ sơ của tôi")).first.click()
    page.wait_for_load_state()
    citizen.check("ho-so-cua-toi")
    page.get_by_role("link", name=code).first.click()
    page.wait_for_load_state()
    citizen.check("ket-qua")
    expect(page.locator("main")).to_contain_text("Đã trả kết quả")
    with page.expect_download() as got:
        page.get_by_role("link", name=re.compile("^Tải về:")).first.click()
    assert got.value.path().read_bytes().startswith(b"%PDF")
    page.get_by_label("Rất hài lòng").check()
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.wait_for_load_state()
    citizen.check("da-danh-gia")
    expect(page.locator("main")).to_contain_text("Cảm ơn Ông/Bà đã đánh giá.")


def test_a_provincial_dossier_from_submission_to_result(journey):
    answer = f"Đề nghị cấp chứng chỉ hành nghề giám sát thi công, hạng II ({journey.unique})."

    def fill(page) -> None:
        page.get_by_label(re.compile("^Nội dung đề nghị")).fill(answer)

    walk(journey, PROVINCIAL, fill, answer)


def test_a_commune_dossier_from_submission_to_result(journey):
    child = f"Trần Minh {journey.unique.upper()}"

    def fill(page) -> None:
        answers = {
            "Họ, chữ đệm, tên của trẻ": child,
            "Nơi sinh": "Trạm Y tế phường Tuy Hòa",
            "Họ, chữ đệm, tên người mẹ": "Nguyễn Thị Hoa",
        }
        for label, value in answers.items():
            page.get_by_label(re.compile("^" + re.escape(label))).fill(value)
        page.get_by_label(re.compile("^Ngày, tháng, năm sinh")).fill("2026-11-20")
        page.get_by_label(re.compile("^Giới tính")).select_option("Nam")
        page.get_by_label(re.compile("^Quan hệ với người được khai sinh")).select_option("Mẹ")

    walk(journey, COMMUNE, fill, child)
