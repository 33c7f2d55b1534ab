"""The citizen's data store: the demo citizen opens "Kho dữ liệu của tôi" from the account
page, uploads a document, sees it in the list, shares it with an agency (copying the link),
revokes the share after confirming (the agency's official then finds the link refused), then
deletes it.
Only clicks and typing (the file is chosen as a person chooses it)."""

from __future__ import annotations

import re

from tests.dossiers.support import pdf_bytes

DEMO_CITIZEN = "0912345678"


def test_citizen_uploads_sees_shares_and_deletes_a_document(journey, tmp_path):
    number = f"GPLX-{journey.unique}"
    scan = tmp_path / "bang-lai.pdf"
    scan.write_bytes(pdf_bytes("Bang lai xe"))
    citizen = journey.person("cong-dan")
    page = citizen.page
    citizen.sign_in(DEMO_CITIZEN)
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)

    page.get_by_role("link", name="Nguyễn Văn An").first.click()
    page.wait_for_load_state()
    citizen.check("tai-khoan")
    page.get_by_role("link", name="Kho dữ liệu của tôi").first.click()
    page.wait_for_url(re.compile(r"/kho-du-lieu/$"))
    citizen.check("kho-du-lieu")
    main = page.inner_text("main")
    # the demo store: a digitised paper, an upload and a dossier result
    assert "Số hóa tại Bộ phận Một cửa" in main and "Kết quả giải quyết hồ sơ" in main

    page.get_by_role("link", name="Tải giấy tờ lên kho").click()
    page.wait_for_load_state()
    citizen.check("tai-len")
    # forgetting the file keeps what was typed and says what is missing
    page.get_by_label("Loại giấy tờ").select_option(label="Giấy phép lái xe")
    page.get_by_label("Số, ký hiệu").fill(number)
    page.get_by_role("button", name="Thêm vào kho").click()
    page.wait_for_load_state()
    citizen.check("tai-len-thieu-tep", status=422)
    assert "Hãy chọn tệp để tải lên." in page.inner_text("main")
    assert page.get_by_label("Số, ký hiệu").input_value() == number
    page.get_by_label("Cơ quan cấp").fill("Sở Xây dựng tỉnh Đắk Lắk")
    page.get_by_label("Ngày cấp").fill("2021-03-15")
    page.get_by_label("Ngày hết hạn (nếu có)").fill("2031-03-15")
    page.get_by_label("Tệp giấy tờ").set_input_files(str(scan))
    page.get_by_role("button", name="Thêm vào kho").click()
    page.wait_for_url(re.compile(r"/kho-du-lieu/\d+/$"))
    citizen.check("chi-tiet")
    main = page.inner_text("main")
    assert "Đã thêm giấy tờ vào kho dữ liệu." in main
    assert number in main and "15/03/2031" in main and "Công dân tự tải lên" in main

    page.get_by_role("link", name="Kho dữ liệu của tôi").first.click()
    page.wait_for_load_state()
    citizen.check("kho-co-giay-to-moi")
    assert number in page.inner_text("main")
    page.get_by_role("row").filter(has_text=number).get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/kho-du-lieu/\d+/$"))

    agency = page.get_by_label("Cơ quan được xem")
    justice = agency.locator("option", has_text="Sở Tư pháp").first.inner_text()
    agency.select_option(label=justice)
    page.get_by_label("Số ngày đường dẫn còn hiệu lực").fill("3")
    page.get_by_role("button", name="Tạo đường dẫn chia sẻ").click()
    page.wait_for_load_state()
    citizen.check("da-chia-se")
    assert "Đã tạo đường dẫn chia sẻ" in page.inner_text("main")
    link = page.get_by_label("Đường dẫn chia sẻ").first.input_value()
    assert re.search(r"/kho-du-lieu/chia-se/[^/]+/$", link)
    # "Sao chép" is shown by the app's own script (the CSP lets it run) and answers a click
    copy = page.get_by_role("button", name=re.compile(r"^Sao chép")).first
    copy.click()
    status = page.get_by_role("status").filter(has_text=re.compile("sao chép", re.I)).first
    assert status.inner_text().strip()

    # the citizen revokes it, after a confirmation page: the agency's official who opens the
    # link is told so
    page.get_by_role("link", name=re.compile(r"^Thu hồi")).first.click()
    page.wait_for_url(re.compile(r"/thu-hoi/$"))
    citizen.check("xac-nhan-thu-hoi")
    assert "Sở Tư pháp" in page.inner_text("main")
    page.get_by_role("button", name="Xác nhận thu hồi").click()
    page.wait_for_url(re.compile(r"/kho-du-lieu/\d+/$"))
    citizen.check("da-thu-hoi")
    main = page.inner_text("main")
    assert "Đã thu hồi đường dẫn chia sẻ" in main and "đã thu hồi lúc" in main
    official = journey.person("can-bo-tu-phap")
    official.sign_in_official("chuyenvien.stp")
    official.goto(link)
    official.check("lien-ket-da-thu-hoi", status=409)
    assert "Chủ sở hữu đã thu hồi đường dẫn chia sẻ này" in official.page.inner_text("main")

    page.get_by_label("Tôi hiểu giấy tờ sẽ bị xóa hẳn").check()
    page.get_by_role("button", name="Xóa giấy tờ khỏi kho").click()
    page.wait_for_url(re.compile(r"/kho-du-lieu/$"))
    citizen.check("da-xoa")
    main = page.inner_text("main")
    assert "Đã xóa giấy tờ khỏi kho dữ liệu." in main and number not in main

    page.get_by_role("link", name="Ai đã xem giấy tờ của tôi").click()
    page.wait_for_load_state()
    citizen.check("ai-da-xem")
