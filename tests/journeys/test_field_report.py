"""Journey 5: a citizen on a phone reports a problem where they stand, with a photo; an
official of the handling agency verifies, assigns, starts and answers it with a photo of the
result; anyone then sees the report, its photos and the answer on the public page.
"""

from __future__ import annotations

import io
import re

from PIL import Image, ImageDraw
from playwright.sync_api import expect

DEMO_CITIZEN = "0912345678"
HANDLER = "lanhdao.sxd"  # roads go to the Department of Construction (README, demo data)
# Buôn Ma Thuột, Đắk Lắk; each window width stands a little apart, so the second walk is
# not offered the first one's report as "the same problem nearby".
POSITIONS = {360: (12.6667, 108.0383), 1280: (12.6767, 108.0483)}


def photo(*, gps: tuple[float, float] | None, colour: tuple[int, int, int]) -> bytes:
    """A phone camera's JPEG: a scene, and (when `gps`) the position in its EXIF data."""
    image = Image.new("RGB", (640, 480), (150, 190, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, 640, 480), fill=(120, 120, 120))  # the pavement
    draw.ellipse((200, 330, 460, 420), fill=colour)  # the pothole in it
    exif = Image.Exif()
    exif[0x010F] = "Điện thoại của Hoa"  # Make: personal, must be stripped
    if gps is not None:

        def dms(value: float) -> tuple[float, float, float]:
            d = int(value)
            m = int((value - d) * 60)
            return (float(d), float(m), round((value - d - m / 60) * 3600, 2))

        exif[0x8825] = {1: "N", 2: dms(gps[0]), 3: "E", 4: dms(gps[1])}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def test_a_citizen_reports_from_a_phone_and_the_agency_answers_with_evidence(journey):
    lat, lon = POSITIONS[journey.width]
    citizen = journey.person("cong-dan", geolocation={"latitude": lat, "longitude": lon})
    page = citizen.page
    citizen.sign_in(DEMO_CITIZEN)
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)
    citizen.check("da-dang-nhap")

    citizen.goto("/phan-anh/gui/")
    citizen.check("mau-phan-anh")
    # Signed in: the contact comes from the account.
    assert page.get_by_role("textbox", name=re.compile("^Họ và tên")).input_value().strip()
    page.get_by_label(re.compile("^Lĩnh vực phản ánh")).select_option(
        label="Hư hỏng đường, cầu, vỉa hè"
    )
    description = f"Ổ gà lớn giữa đường, xe máy phải lách sang làn ngược chiều ({journey.unique})."
    page.get_by_role("textbox", name=re.compile("^Nội dung phản ánh")).fill(description)
    page.get_by_role("button", name="Dùng vị trí của tôi").click()
    expect(page.locator("#vi-tri-trang-thai")).to_contain_text("Đã lấy vị trí của bạn")
    assert page.locator("#id_lat").input_value().startswith(f"{lat:.4f}")
    commune = page.get_by_role("combobox", name=re.compile("Xã, phường nơi xảy ra"))
    commune.click()
    commune.press_sequentially("buon ma thuot")
    page.get_by_role("option", name="Phường Buôn Ma Thuột").click()
    expect(commune).to_have_value("Phường Buôn Ma Thuột")
    page.get_by_label(re.compile("^Địa chỉ hoặc mô tả nơi xảy ra")).fill("Trước cổng chợ trung tâm")
    scene = {"name": "hien-truong.jpg", "mimeType": "image/jpeg"}
    scene["buffer"] = photo(gps=(lat, lon), colour=(200, 60, 40))  # type: ignore[assignment]
    page.get_by_label(re.compile("^Ảnh hoặc video")).set_input_files(files=[scene])
    citizen.check("da-dien")
    page.get_by_role("button", name="Gửi phản ánh").click()
    page.wait_for_load_state()
    again = page.get_by_role("button", name="Vẫn gửi phản ánh mới")
    if again.count():  # a report of the same kind nearby (a walk before this one on the server)
        citizen.check("phan-anh-gan-day")
        expect(page.get_by_text("hãy chọn lại ảnh")).to_be_visible()
        page.get_by_label(re.compile("^Ảnh hoặc video")).set_input_files(files=[scene])
        again.click()
        page.wait_for_load_state()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("PA-")
    citizen.check("da-gui")
    number = re.search(r"PA-(\d+)", heading.inner_text()).group(1)  # type: ignore[union-attr]
    expect(page.get_by_text(description, exact=True)).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Ảnh hiện trường 1"))).to_be_visible()

    # The handling agency's official, at the office pages.
    official = journey.person("can-bo")
    office = official.page
    official.sign_in_official(HANDLER)
    official.check("da-dang-nhap")
    official.goto("/can-bo/phan-anh/")
    official.check("phan-anh-cua-co-quan")
    office.get_by_role("link", name=f"PA-{number}", exact=True).click()
    office.wait_for_load_state()
    official.check("phan-anh")
    expect(office.get_by_text(description, exact=True)).to_be_visible()

    office.get_by_role("button", name="Xác minh phản ánh").click()
    office.wait_for_load_state()
    official.check("da-xac-minh")
    office.get_by_label(re.compile("^Giao cho cán bộ")).select_option(index=1)
    office.get_by_role("button", name="Giao xử lý").click()
    office.wait_for_load_state()
    official.check("da-giao")
    office.get_by_role("button", name="Bắt đầu xử lý").click()
    office.wait_for_load_state()
    official.check("dang-xu-ly")
    answer = "Đã vá ổ gà và kẻ lại vạch sơn; đường đã đi lại bình thường."
    office.get_by_role("textbox", name=re.compile("^Trả lời công khai")).fill(answer)
    result = {"name": "sau-xu-ly.jpg", "mimeType": "image/jpeg"}
    result["buffer"] = photo(gps=None, colour=(120, 120, 120))  # type: ignore[assignment]
    office.get_by_label(re.compile("^Ảnh hoặc video kết quả xử lý")).set_input_files(files=[result])
    office.get_by_role("button", name="Gửi trả lời").click()
    office.wait_for_load_state()
    official.check("da-tra-loi")
    expect(office.get_by_text("Đã trả lời công khai phản ánh")).to_be_visible()

    # Anyone: the public page with both photos, loaded (check() fails on a broken image).
    visitor = journey.person("nguoi-xem")
    visitor.goto(f"/phan-anh/{number}/")
    visitor.check("trang-cong-khai")
    public = visitor.page
    expect(public.get_by_text(answer, exact=True)).to_be_visible()
    for name in ("Ảnh hiện trường 1", "Ảnh kết quả xử lý 1"):
        image = public.get_by_role("img", name=re.compile(name))
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth") == 640
    assert "/media/" not in public.content()
    assert "Điện thoại của Hoa" not in public.content()
