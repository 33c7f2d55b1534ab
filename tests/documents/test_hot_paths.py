"""The documents' hot paths do their expensive work once (issue 12): keys, certificates and
the stamps' font parsed once per process, an edXML document canonicalised once per signature
and once per check, a ranked search one query. Counts, not timings (those are in
bench/documents.py); and what is signed still verifies, with another implementation too."""

from __future__ import annotations

import base64
import subprocess
from datetime import date

import pytest
from lxml import etree
from signxml import SignatureConfiguration, XMLSigner, XMLVerifier, methods
from signxml.algorithms import DigestAlgorithm, SignatureMethod

from tinhso.documents import edxml, pki, queries, rendering, signing, stamps, xmlsig
from tinhso.documents.models import Document

from ..tools import requires_tool


@pytest.fixture
def counted(monkeypatch):
    """counted(module, name) wraps module.name and returns the list of its calls."""

    def wrap(module, name):
        calls = []
        real = getattr(module, name)

        def spy(*args, **kwargs):
            calls.append(args)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
        return calls

    return wrap


def _message(attachment: bytes = b"%PDF-1.7 noi dung") -> edxml.Message:
    return edxml.Message(
        sender=edxml.Organ("000.00.00.H66", "UBND tỉnh Đắk Lắk"),
        recipients=[edxml.Organ("000.00.00.H41", "UBND tỉnh Nghệ An")],
        document_id="000.00.00.H66,2026/03/02,15/QĐ-UBND",
        code_number="15",
        code_notation="QĐ-UBND",
        promulgation_date="2026/03/02",
        subject="Về việc thử nghiệm liên thông",
        attachments=[edxml.Attachment("qd.pdf", "application/pdf", attachment)],
    )


# --- keys and certificates -----------------------------------------------------------------


def test_a_keystore_is_parsed_once_per_process_and_a_rotated_one_again(test_ca, counted):
    parses = counted(pki, "_parse_pkcs12")
    first = pki.issue(test_ca, "Văn thư", "UBND").to_pkcs12(b"pw", (test_ca.certificate,))
    for _ in range(5):
        keys, chain = pki.load_pkcs12(first, b"pw")
    assert len(parses) == 1
    assert chain == [test_ca.certificate]
    chain.clear()  # a caller's list is its own
    assert pki.load_pkcs12(first, b"pw")[1] == [test_ca.certificate]

    rotated = pki.issue(test_ca, "Văn thư", "UBND").to_pkcs12(b"pw", (test_ca.certificate,))
    new_keys, _chain = pki.load_pkcs12(rotated, b"pw")
    assert len(parses) == 2
    assert new_keys.certificate != keys.certificate

    with pytest.raises(ValueError):  # a wrong password is asked again, never remembered
        pki.load_pkcs12(first, b"sai")
    with pytest.raises(ValueError):
        pki.load_pkcs12(first, b"sai")
    assert len(parses) == 4


def test_a_certificate_is_parsed_once_per_text(test_ca, counted):
    parses = counted(pki, "_parse_certificate")
    pem = pki.issue(test_ca, "Đối tác", "UBND tỉnh Nghệ An").certificate_pem
    for _ in range(5):
        cert = pki.load_certificate(pem)
    assert pki.load_certificate(pem.encode()) is cert
    assert len(parses) == 1


# --- edXML -----------------------------------------------------------------------------------


def test_edxml_sign_and_verify_canonicalise_the_document_once_each(test_ca, counted):
    keys = pki.issue(test_ca, "UBND tỉnh Đắk Lắk", "UBND tỉnh Đắk Lắk")
    digests = counted(xmlsig, "_document_digest")
    serialised = counted(edxml, "to_bytes")
    parsed = counted(edxml, "parse_xml")
    data = xmlsig.sign(edxml.build_message(_message(bytes(range(256)) * 4096)), keys)
    assert (len(digests), len(serialised)) == (1, 1)
    xmlsig.verify(data, keys.certificate)
    assert (len(digests), len(parsed)) == (2, 1)


def test_our_signature_verifies_with_signxml_and_theirs_with_ours(test_ca):
    """Another implementation of XMLDSig agrees with ours both ways, on rsa-sha256 with
    exclusive c14n (what we send) and with inclusive c14n (the XMLDSig default)."""
    keys = pki.issue(test_ca, "UBND tỉnh Đắk Lắk", "UBND tỉnh Đắk Lắk")
    ours = xmlsig.sign(edxml.build_message(_message()), keys)
    result = XMLVerifier().verify(
        ours, x509_cert=keys.certificate, expect_config=SignatureConfiguration(expect_references=1)
    )
    assert etree.QName(result.signed_xml).localname == "edXML"

    for algorithm, digest, c14n in (
        (SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256, xmlsig.EXC_C14N),
        (SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256, xmlsig.C14N),
    ):
        signer = XMLSigner(
            method=methods.enveloped,
            signature_algorithm=algorithm,
            digest_algorithm=digest,
            c14n_algorithm=c14n,
        )
        signer.namespaces = {"ds": edxml.DS}
        theirs = signer.sign(edxml.build_message(_message()), key=keys.key, cert=[keys.certificate])
        data = edxml.to_bytes(theirs)
        xmlsig.verify(data, keys.certificate)
        with pytest.raises(xmlsig.SignatureError, match="Digest mismatch"):
            xmlsig.verify(data.replace("thử nghiệm".encode(), "giả mạo".encode()), keys.certificate)


def test_a_changed_attachment_or_a_partial_reference_is_refused(test_ca):
    keys = pki.issue(test_ca, "UBND tỉnh Đắk Lắk", "UBND tỉnh Đắk Lắk")
    data = xmlsig.sign(edxml.build_message(_message(b"noi dung that")), keys)
    forged = data.replace(base64.b64encode(b"noi dung that"), base64.b64encode(b"noi dung gia!"))
    assert forged != data
    with pytest.raises(xmlsig.SignatureError, match="Digest mismatch"):
        xmlsig.verify(forged, keys.certificate)

    # A signature over one element only (signxml's detached reference to an Id) is not ours.
    root = edxml.build_message(_message())
    header = root.find(f"{{{edxml.NS}}}edXMLEnvelope/{{{edxml.NS}}}edXMLHeader")
    header.set("Id", "h")
    signer = XMLSigner(
        method=methods.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=xmlsig.EXC_C14N,
    )
    signer.namespaces = {"ds": edxml.DS}
    partial = signer.sign(root, key=keys.key, cert=[keys.certificate], reference_uri="#h")
    with pytest.raises(xmlsig.SignatureError, match="không bao trùm"):
        xmlsig.verify(edxml.to_bytes(partial), keys.certificate)


# --- PAdES -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def draft_pdf() -> bytes:
    return rendering.render_pdf(
        rendering.Draft(
            "Sở Tư pháp",
            "UBND tỉnh Đắk Lắk",
            "Số: /QĐ-STP",
            "Đắk Lắk",
            date(2026, 3, 2),
            "Quyết định",
            "Về việc thử",
            "Nội dung " * 50,
            "Giám đốc",
            "Nguyễn Văn A",
        )
    )


def test_signing_again_parses_no_key_and_cuts_no_font(test_ca, draft_pdf, counted, tmp_path):
    from fontTools import subset
    from pyhanko.sign.signers import pdf_cms

    keys = pki.issue(test_ca, "Nguyễn Văn A", "Sở Tư pháp")
    key = signing.SigningKey(keys.to_pkcs12(b"pw", (test_ca.certificate,)), b"pw")
    image = stamps.signature()
    options = {
        "field_name": "Ky",
        "stamp_text": "Giám đốc Sở\nNguyễn Văn Ấn\n%(ts)s",
        "box": signing.SIGNER_BOX,
        "image": image,
        "text_indent": 40,
    }
    signing.sign_pdf(draft_pdf, key, **options)  # the first signature of the process

    parses = counted(pki, "_parse_pkcs12")
    key_loads = counted(pdf_cms.serialization, "load_der_private_key")
    cuts = counted(subset.Subsetter, "subset")
    decoded = counted(signing.Image, "open")
    signed = draft_pdf
    for n in range(3):
        signed = signing.sign_pdf(signed, key, **{**options, "field_name": f"Ky{n}"})
    assert (len(parses), len(key_loads), len(cuts), len(decoded)) == (0, 0, 0, 0)

    result = signing.verify_pdf(signed, [test_ca.certificate], revocation="off")
    assert result.ok and len(result.signatures) == 3
    assert result.signatures[-1].covers_whole_file


def test_a_stamp_parses_no_font_and_deflates_no_image_again(test_ca, draft_pdf, counted):
    """Issue 12: the stamp's font is parsed (fontTools, HarfBuzz) once per thread and the
    font program and the image are deflated once per process, not at every signature."""
    import io

    import uharfbuzz
    from pypdf import PdfReader

    keys = pki.issue(test_ca, "Nguyễn Văn A", "Sở Tư pháp")
    key = signing.SigningKey(keys.to_pkcs12(b"pw", (test_ca.certificate,)), b"pw")
    options = {
        "stamp_text": "Giám đốc Sở\nNguyễn Văn Ấn\n%(ts)s",
        "box": signing.SIGNER_BOX,
        "image": stamps.signature(),
        "text_indent": 40,
    }
    signed = signing.sign_pdf(draft_pdf, key, field_name="Ky0", **options)

    parses = counted(signing.ttLib, "TTFont")
    faces = counted(uharfbuzz, "Face")
    deflated = counted(signing.zlib, "compress")
    for n in range(1, 3):
        signed = signing.sign_pdf(signed, key, field_name=f"Ky{n}", **options)
    assert (len(parses), len(faces), len(deflated)) == (0, 0, 0)

    result = signing.verify_pdf(signed, [test_ca.certificate], revocation="off")
    assert result.ok and len(result.signatures) == 3
    # the embedded program is the prepared cut, and the image keeps its size and alpha mask
    prepared = signing._prepared_font(str(signing.fonts.font_file()))
    reader = PdfReader(io.BytesIO(signed))
    programs, images, seen = [], [], set()

    def walk(obj):  # the stamps' appearances: fonts and images reachable from the widgets
        if hasattr(obj, "idnum"):
            if obj.idnum in seen:
                return
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, dict):
            if "/FontFile2" in obj:
                programs.append(obj["/FontFile2"].get_object().get_data())
            if obj.get("/Subtype") == "/Image" and "/SMask" in obj:
                images.append(obj)
            for name, value in obj.items():
                if name not in ("/P", "/Parent", "/V"):
                    walk(value)
        elif isinstance(obj, list):
            for value in obj:
                walk(value)

    walk(reader.pages[-1]["/Annots"])
    assert programs and all(data == prepared.data for data in programs)
    picture = signing._stamp_image(options["image"])
    assert images and all(
        (img["/Width"], img["/Height"]) == (picture.width, picture.height) for img in images
    )


# What pyHanko's GlyphAccumulator reads from the font or its options: shared by the copies a
# thread makes of its accumulator. Everything else it holds must be in signing._PER_DOCUMENT.
FONT_STATE = {
    "hb_font",
    "tt",
    "cff_charset",
    "use_raw_gids",
    "features",
    "units_per_em",
    "_glyph_set",
    "_GlyphAccumulator__reverse_cmap",  # the cmap reversed, built from `tt` when first used
    "ot_language_tag",
    "ot_script_tag",
    "writing_direction",
    "bcp47_lang_code",
}


def test_a_stamps_accumulator_is_the_threads_parse_with_a_documents_state_of_its_own():
    """The copy a stamp takes of this thread's accumulator holds what a freshly constructed
    pyHanko accumulator holds, nothing more or less; it shares the font's parse and owns the
    document's state. Fails if pyHanko's accumulator gains state `_prepared_engine` misses."""
    import io

    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
    from pyhanko.pdf_utils.writer import PdfFileWriter

    prepared = signing._prepared_font(str(signing.fonts.font_file()))
    fresh = GlyphAccumulator(PdfFileWriter(), io.BytesIO(prepared.data), font_size=8)
    assert not FONT_STATE & signing._PER_DOCUMENT
    assert set(vars(fresh)) == FONT_STATE | signing._PER_DOCUMENT

    template = signing._font_template(prepared)
    first, second = PdfFileWriter(), PdfFileWriter()
    a = signing._prepared_engine(first, prepared, 6, None)
    b = signing._prepared_engine(second, prepared, 8, None)
    assert set(vars(a)) == set(vars(b)) == set(vars(fresh))
    for name in FONT_STATE:
        assert getattr(a, name) is getattr(template.engine, name)
    for name in signing._PER_DOCUMENT:
        mine = getattr(a, name)
        if not isinstance(mine, bool | int | str | type(None)):
            assert mine is not getattr(b, name) and mine is not getattr(template.engine, name)
    assert (a.writer, a.font_size, b.writer, b.font_size) == (first, 6, second, 8)
    assert first.get_subset_collection(template.ps_name).subsets[a.subset_prefix] is a
    assert a.cidfont_obj.name == f"{a.subset_prefix}+{fresh.cidfont_obj.name.split('+')[1]}"

    # a stamp's glyphs are its own, and writing it leaves the thread's parse whole
    glyphs = len(template.engine.tt.getGlyphOrder())
    a.shape("Nguyễn Văn Ấn")
    a.prepare_write()
    assert a._glyphs and not b._glyphs and not template.engine._glyphs
    assert not template.engine._cid_to_unicode
    tt = template.engine.tt
    assert len(tt.getGlyphOrder()) == glyphs
    assert tt["glyf"][tt.getBestCmap()[ord("Z")]].numberOfContours > 0  # not cut away


@pytest.mark.parametrize("which", ["signature", "seal"])
def test_the_prepared_image_writes_what_pyhanko_writes(which):
    """`_PreparedImage` writes the XObject pyHanko's `pil_image` writes: same entries, same
    decoded pixels and alpha mask."""
    import io

    from pyhanko.pdf_utils.images import pil_image
    from pyhanko.pdf_utils.writer import PdfFileWriter

    data = stamps.signature() if which == "signature" else stamps.seal("STP")
    theirs_writer, ours_writer = PdfFileWriter(), PdfFileWriter()
    theirs = pil_image(signing._stamp_image(data), theirs_writer).get_object()
    content = signing._PreparedImage(data)
    content.set_writer(ours_writer)
    ours = content.image_ref.get_object()

    def seen(image):
        entries = {k: v for k, v in image.items() if k not in ("/SMask", "/Length", "/Filter")}
        mask = image.get("/SMask")
        return entries, image.data, mask.get_object().data if mask is not None else None

    assert seen(ours) == seen(theirs)
    assert io.BytesIO(ours.encoded_data).getvalue() != ours.data  # deflated, as pyHanko does


def test_a_stamp_beyond_the_vietnamese_repertoire_still_gets_its_glyphs(test_ca, draft_pdf):
    """A character the prepared font does not draw sends the stamp to pyHanko's own cut of
    the whole font: nothing is drawn as a missing-glyph box."""
    keys = pki.issue(test_ca, "Nguyễn Văn A", "Sở Tư pháp")
    key = signing.SigningKey(keys.to_pkcs12(b"pw", ()), b"pw")
    assert "Ж" not in signing._prepared_font(str(signing.fonts.font_file())).characters
    signed = signing.sign_pdf(
        draft_pdf, key, field_name="Ky", stamp_text="Иван Ж\n%(ts)s", box=signing.SIGNER_BOX
    )
    assert signing.verify_pdf(signed, [test_ca.certificate], revocation="off").signatures


def test_a_wrong_keystore_password_is_a_signing_error(test_ca, draft_pdf):
    keys = pki.issue(test_ca, "Nguyễn Văn A", "Sở Tư pháp")
    key = signing.SigningKey(keys.to_pkcs12(b"pw", ()), b"sai")
    with pytest.raises(signing.SigningError):
        signing.sign_pdf(draft_pdf, key, field_name="Ky", stamp_text="x", box=signing.SIGNER_BOX)


@requires_tool("pdfsig")
def test_stamped_signatures_from_the_prepared_font_pass_pdfsig(test_ca, draft_pdf, tmp_path):
    keys = pki.issue(test_ca, "Nguyễn Văn A", "Sở Tư pháp")
    key = signing.SigningKey(keys.to_pkcs12(b"pw", (test_ca.certificate,)), b"pw")
    signed = signing.sign_pdf(
        draft_pdf,
        key,
        field_name="ChuKy",
        stamp_text="Giám đốc Sở Tư pháp\nNguyễn Văn Ấn\n%(ts)s",
        box=signing.SIGNER_BOX,
        image=stamps.seal("STP"),
    )
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    assert "Signature Validation: Signature is Valid." in out.stdout
    assert "Total document signed" in out.stdout


# --- search ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_ranked_search_page_is_one_query(offices, django_assert_max_num_queries):
    from tinhso.documents import actions

    sxd = offices["SXD"]
    for n in range(30):
        doc = Document.objects.create(
            agency=sxd.agency,
            direction="incoming",
            state="received",
            doc_type="CV",
            subject=f"Quyết định giao đất số {n}",
        )
        actions._index(doc)
        doc.save()
    visible = queries.visible_documents(sxd.clerk)
    with django_assert_max_num_queries(1):
        page = list(queries.search(visible, "quyet dinh giao", doc_type="CV")[:20])
    assert len(page) == 20
