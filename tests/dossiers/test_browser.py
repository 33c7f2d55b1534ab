"""Every citizen page of the dossier journey in headless Chromium: axe-core finds nothing,
and the whole submission journey works with the keyboard alone."""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.browser import CHROMIUM, axe_violations, requires_browser
from tests.tools import requires_tool
from tinhso.dossiers import actions
from tinhso.dossiers.models import Dossier

from . import support

pytestmark = [
    requires_browser,
    pytest.mark.django_db(transaction=True),
]


def page_weight(page) -> int:
    """Bytes of the page and the assets it loaded (decoded size: an upper bound)."""
    return int(
        page.evaluate(
            "() => performance.getEntriesByType('navigation').concat("
            "performance.getEntriesByType('resource')).reduce((n, e) => n + e.decodedBodySize, 0)"
        )
    )


def sign_in(page, live_server, user_phone: str) -> None:
    page.goto(live_server.url + reverse("people:sign-in"))
    page.fill("#id_username", user_phone)
    page.fill("#id_password", support.PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(lambda url: "/dang-nhap/" not in url)
    page.wait_for_load_state()


def wait_path(page, fragment: str) -> None:
    page.wait_for_url(lambda url: fragment in urlsplit(url).path)
    page.wait_for_load_state()


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "s => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def choose_file_with_the_keyboard(page, path) -> None:
    """Space on the focused file input opens the chooser, as for a keyboard user. Under a
    loaded CI machine headless Chromium now and then drops that keypress (both suites and
    their browsers share two cores); a person would press again, so the test does, at most
    twice more, and still fails if the chooser never opens."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(3):
        try:
            with page.expect_file_chooser(timeout=10_000) as chooser:
                page.keyboard.press("Space")
        except PlaywrightTimeout:
            continue
        chooser.value.set_files(str(path))
        return
    raise AssertionError("Space on the focused file input never opened the file chooser")


def test_every_citizen_page_has_no_axe_violation(browser, live_server, version, citizen):
    earlier = actions.start_draft(version, user=citizen)
    actions.save_form(earlier, {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "1990-05-12"}, user=citizen)
    tk = version.components.get(code="TK")
    actions.attach_file(earlier, tk.pk, "to-khai.pdf", support.pdf_bytes(), user=citizen)
    actions.choose_delivery(earlier, "online", user=citizen)
    dossier = actions.submit(earlier, user=citizen)
    actions.issue_result(dossier, "Phiếu lý lịch tư pháp", support.pdf_bytes("kq"), officer=None)
    waiting = actions.start_draft(version, user=citizen)
    actions.save_form(waiting, {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "1990-05-12"}, user=citizen)
    actions.attach_file(waiting, tk.pk, "to-khai.pdf", support.pdf_bytes(), user=citizen)
    actions.choose_delivery(waiting, "post", "12 Lê Duẩn, Buôn Ma Thuột", user=citizen)
    waiting = actions.submit(waiting, user=citizen)
    actions.request_supplement(
        waiting, reason="Thiếu trang 2", fields=["ngay_sinh"], component_ids=[tk.pk], officer=None
    )
    draft = actions.start_draft(version, user=citizen)

    context = browser.new_context(viewport={"width": 360, "height": 780})
    page = context.new_page()
    public = [
        reverse("dossiers:lookup"),
        reverse("dossiers:lookup") + f"?ma={dossier.code}&ma-tra-cuu={dossier.issued_secret}",
        reverse("dossiers:lookup") + f"?ma={dossier.code}&ma-tra-cuu=SAI",
    ]
    for path in public:
        page.goto(live_server.url + path)
        assert axe_violations(page) == [], path
    sign_in(page, live_server, "0912345678")
    pages = [
        reverse("dossiers:start", args=[version.procedure.code]),
        reverse("dossiers:draft-form", args=[draft.pk]),
        reverse("dossiers:draft-files", args=[draft.pk]),
        reverse("dossiers:draft-delivery", args=[draft.pk]),
        reverse("dossiers:draft-review", args=[draft.pk]),
        reverse("dossiers:mine"),
        reverse("dossiers:detail", args=[dossier.code]),
        reverse("dossiers:detail", args=[waiting.code]),
    ]
    for path in pages:
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, path
        assert urlsplit(page.url).path == path  # not sent elsewhere (e.g. to sign in)
        assert page_weight(page) < 300 * 1024, path
        assert axe_violations(page) == [], path
    # a form with errors, and the files page with the store picker and a rejected upload
    page.goto(live_server.url + reverse("dossiers:draft-form", args=[draft.pk]))
    page.fill("#ef-ngay_sinh", "")
    page.click("form.journey button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".error-summary").count() == 1
    assert axe_violations(page) == []
    # no horizontal scrolling at 360 px
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_whole_submission_journey_with_the_keyboard_only(
    browser, live_server, version, citizen, tmp_path
):
    pdf = tmp_path / "to-khai.pdf"
    pdf.write_bytes(support.pdf_bytes())
    fake = tmp_path / "giay-to.pdf"
    fake.write_bytes(b"MZ\x90\x00 an executable with a .pdf name")
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.goto(live_server.url + reverse("dossiers:start", args=[version.procedure.code]))
    # sign in
    tab_to(page, "#id_username")
    page.keyboard.type("0912345678")
    page.keyboard.press("Tab")
    page.keyboard.type(support.PASSWORD)
    page.keyboard.press("Enter")
    wait_path(page, "/nop-ho-so/")
    # start
    tab_to(page, "button.primary")
    page.keyboard.press("Enter")
    wait_path(page, "/to-khai/")
    # the e-form: the name is prefilled; type the date of birth. Headless Chromium keeps the
    # mm/dd/yyyy segment order of its bundled ICU data whatever the locale.
    tab_to(page, "#ef-ngay_sinh")
    page.keyboard.type("05121990")
    tab_to(page, "#ef-so_ban_sao")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    wait_path(page, "/giay-to/")
    draft = Dossier.objects.get(owner=citizen)
    assert draft.form_data == {
        "ho_ten": "Nguyễn Văn An",
        "ngay_sinh": "1990-05-12",
        "so_ban_sao": 2,
    }
    tk = version.components.get(code="TK")
    # a file that is not what its name says is refused in place
    tab_to(page, f"#files-{tk.pk}")
    choose_file_with_the_keyboard(page, fake)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    status = page.locator(f"#files-{tk.pk} ~ .upload-status")
    status.filter(has_text="không phải là tệp hợp lệ").wait_for()
    assert not draft.files.exists()
    # the real one, with the progress bar, then the page reloads with it listed
    assert page.evaluate("document.activeElement.id") == f"files-{tk.pk}"  # focus given back
    choose_file_with_the_keyboard(page, pdf)
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".files a", has_text="to-khai.pdf").count() == 1
    tab_to(page, "form.actions button.primary")
    page.keyboard.press("Enter")
    wait_path(page, "/nhan-ket-qua/")
    # delivery: online
    tab_to(page, "#delivery-online")
    page.keyboard.press("Space")
    tab_to(page, "form.journey button.primary")
    page.keyboard.press("Enter")
    wait_path(page, "/xem-lai/")
    assert "to-khai.pdf" in page.content()
    tab_to(page, "form.actions button.primary")
    page.keyboard.press("Enter")
    wait_path(page, "/ho-so-cua-toi/")
    draft.refresh_from_db()
    assert draft.state == "submitted"
    assert f"Mã hồ sơ của Ông/Bà là {draft.code}" in page.content()
    context.close()


@requires_tool("pdftotext")
def test_chromium_and_axe_are_present_in_ci():
    assert shutil.which("pdftotext") and os.path.exists(CHROMIUM)
