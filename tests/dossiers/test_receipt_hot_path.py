"""The receipt's hot path (issue 12): the font configuration is made once per thread and the
QR code once per link, so a receipt costs WeasyPrint's layout of that page and nothing it
could have kept; the text stays what the form says."""

from __future__ import annotations

import base64
import io
import threading
from unittest import mock

import segno
from PIL import Image
from pypdf import PdfReader

from tinhso.core import fonts
from tinhso.dossiers import forms_pdf, receipt

from .test_forms_pdf import received  # noqa: F401 - the fixture


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_a_receipt_makes_no_font_configuration_of_its_own(office, received):  # noqa: F811
    fonts.font_configuration()  # this thread's, made at its first PDF
    refuse = mock.Mock(side_effect=AssertionError("a FontConfiguration made per PDF"))

    with (
        mock.patch("weasyprint.document.FontConfiguration", refuse),
        mock.patch("weasyprint.css.FontConfiguration", refuse),
    ):
        first = forms_pdf.receipt(received, office.tiepnhan)
        again = forms_pdf.receipt(received, office.tiepnhan)

    assert refuse.call_count == 0
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text_of(first)
    assert text_of(again) == text_of(first)


def test_the_font_configuration_is_one_per_thread():
    here = fonts.font_configuration()
    there: list[object] = []
    worker = threading.Thread(target=lambda: there.append(fonts.font_configuration()))
    worker.start()
    worker.join()

    assert fonts.font_configuration() is here
    assert there and there[0] is not here  # a Pango font map is not shared across threads


def test_a_reprint_draws_its_qr_code_once(office, received):  # noqa: F811
    receipt.qr_data_uri.cache_clear()
    with mock.patch("tinhso.dossiers.receipt.segno.make", wraps=segno.make) as make:
        forms_pdf.receipt(received, office.tiepnhan)
        forms_pdf.receipt(received, office.tiepnhan)
        receipt.render_receipt(received)

    assert make.call_count == 1  # the Mẫu 01 and the online receipt carry the same link
    assert make.call_args.kwargs == {"error": "m", "mask": 0}  # no search over eight masks


def test_the_qr_code_still_encodes_the_link(office, received):  # noqa: F811
    url = forms_pdf.status_url(received)
    uri = receipt.qr_data_uri(url)

    # one pixel per module, drawn without smoothing (image-rendering: pixelated in the forms)
    assert uri.startswith("data:image/png;base64,")
    code = segno.make(url, error="m", mask=0)
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("1")
    pixels = image.load()
    assert image.size == code.symbol_size(scale=1, border=2)
    modules = [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=2)]
    assert all(
        (pixels[x, y] == 0) == dark for y, row in enumerate(modules) for x, dark in enumerate(row)
    )


def test_the_forms_lay_out_without_flex_and_draw_no_svg(office, received):  # noqa: F811
    """Flex rows and an SVG QR code were half of a receipt's time in WeasyPrint (issue 12)."""
    from tinhso.dossiers import forms_pdf as forms

    seen: list[str] = []
    with mock.patch.object(forms, "pdf", side_effect=lambda html, **kw: seen.append(html) or b""):
        forms.receipt(received, office.tiepnhan)
    with mock.patch.object(receipt, "pdf", side_effect=lambda html, **kw: seen.append(html) or b""):
        receipt.render_receipt(received)

    for html in seen:
        assert "display: flex" not in html and "image/svg" not in html
        assert "image-rendering: pixelated" in html


def test_a_reprint_is_laid_out_once_and_a_changed_fact_anew(office, received):  # noqa: F811
    receipt._stored.clear()
    received.issued_secret = ""
    with mock.patch.object(receipt, "_layout", wraps=receipt._layout) as layout:
        first = forms_pdf.receipt(received, office.tiepnhan)
        again = forms_pdf.receipt(received, office.tiepnhan)
        assert layout.call_count == 1 and again == first

        received.applicant_address = "12 Lê Duẩn, Buôn Ma Thuột"  # a printed fact changes
        changed = forms_pdf.receipt(received, office.tiepnhan)
        assert layout.call_count == 2
        assert "12 Lê Duẩn" in text_of(changed) and "12 Lê Duẩn" not in text_of(first)

        forms_pdf.receipt(received, office.truongphong)  # another officer's name: another page
        assert layout.call_count == 3
        forms_pdf.receipt(received, None)  # none given: the receiving officer's, stored already
        assert layout.call_count == 3


def test_a_receipt_with_the_clear_secret_is_never_stored(office, received):  # noqa: F811
    receipt._stored.clear()
    received.issued_secret = "ABCD2345EF"  # the secret just issued, printed in clear
    with mock.patch.object(receipt, "_layout", wraps=receipt._layout) as layout:
        forms_pdf.receipt(received, office.tiepnhan)
        forms_pdf.receipt(received, office.tiepnhan)
        receipt.render_receipt(received)
        receipt.render_receipt(received)

    assert layout.call_count == 4
    assert not receipt._stored


def test_the_store_is_bounded(office, received, monkeypatch):  # noqa: F811
    receipt._stored.clear()
    received.issued_secret = ""
    monkeypatch.setattr(receipt, "STORED_RECEIPTS", 2)
    for name in ("Một", "Hai", "Ba"):
        received.applicant_name = name
        forms_pdf.receipt(received, office.tiepnhan)
    assert len(receipt._stored) == 2


def test_the_receipt_reads_as_before(office, received):  # noqa: F811
    text = text_of(forms_pdf.receipt(received, office.tiepnhan))

    assert "Mã hồ sơ: 000.00.03.H66-260212-0001" in text
    assert "4. Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 12/02/2026" in text
    assert "5. Thời gian trả kết quả giải quyết hồ sơ: 09 giờ 00 phút, ngày 26/02/2026" in text
    assert "Trần Thị Bình" in text


def test_the_warm_up_receipt_is_a_mau01_laid_out_from_the_template():
    """What the web server's worker lays out before serving (issue 12): the Mẫu 01 template
    in use, made-up facts, no database."""
    made = forms_pdf.warm_receipt(fonts.font_configuration())
    text = text_of(made)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "Nguyễn Thị Ấn Ượng" in text


def test_each_worker_thread_takes_a_font_configuration_warmed_before_serving(monkeypatch):
    """gunicorn's post_worker_init lays out one receipt per thread, each with a font
    configuration a thread takes at its first PDF, then freezes the start-up objects out of
    the garbage collector."""
    import gc
    from types import SimpleNamespace

    from tinhso import gunicorn_conf

    monkeypatch.setattr(fonts, "_prepared", [])
    warmed: list[object] = []
    real = forms_pdf.warm_receipt
    monkeypatch.setattr(
        forms_pdf, "warm_receipt", lambda config: warmed.append(config) or real(config)
    )
    try:
        gunicorn_conf.post_worker_init(SimpleNamespace(cfg=SimpleNamespace(threads=2)))
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the rest of the test run collects as usual
    assert len(warmed) == 2 and len({id(c) for c in warmed}) == 2

    taken: list[object] = []
    for _ in range(3):
        worker = threading.Thread(target=lambda: taken.append(fonts.font_configuration()))
        worker.start()
        worker.join()
    assert taken[0] in warmed and taken[1] in warmed and taken[0] is not taken[1]
    assert taken[2] not in warmed  # none left: a third thread makes its own
    assert fonts._prepared == []


def test_a_failed_warm_up_leaves_the_worker_serving(monkeypatch, caplog):
    import gc
    from types import SimpleNamespace

    from tinhso import gunicorn_conf

    monkeypatch.setattr(fonts, "_prepared", [])
    monkeypatch.setattr(forms_pdf, "warm_receipt", mock.Mock(side_effect=OSError("no font")))
    try:
        gunicorn_conf.post_worker_init(SimpleNamespace(cfg=SimpleNamespace(threads=4)))
    finally:
        gc.unfreeze()
    assert "warm-up of the receipt's layout failed" in caplog.text
