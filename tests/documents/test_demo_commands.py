"""Demo data and the `tinhso documents` commands."""

from __future__ import annotations

import subprocess
from io import StringIO

import pytest
from django.core.management import call_command

from tests.tools import requires_tool
from tinhso.documents import demo, signing
from tinhso.documents.actions import trusted_roots
from tinhso.documents.models import Certificate, Document, TrustedRoot
from tinhso.people import demo as people_demo
from tinhso.places import demo as places_demo


@pytest.fixture
def demo_loaded(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    places_demo.load_demo()
    people_demo.load_demo()
    demo.load_demo()


def test_demo_has_signed_outgoing_and_axis_documents_and_is_idempotent(demo_loaded):
    outgoing = Document.objects.filter(direction="outgoing", state="issued")
    assert sorted(outgoing.values_list("number", "notation")) == [
        ("01", "UBND-VX"),
        ("02", "KH-UBND"),
    ]
    axis = Document.objects.get(direction="incoming", sender_code="000.00.00.H41")
    assert axis.signature_report["xml_signature"] is True
    assert Document.objects.filter(direction="incoming").count() == 5  # 2 × 2 local + 1 axis
    for doc in outgoing:
        main = doc.files.get(kind="main")
        check = signing.verify_pdf(bytes(main.data), trusted_roots())
        assert check.ok and len(check.signatures) == 2
    root = TrustedRoot.objects.get()
    assert root.is_test and "TEST" in root.name
    counts = (Document.objects.count(), Certificate.objects.count(), TrustedRoot.objects.count())
    demo.load_demo()
    assert (
        Document.objects.count(),
        Certificate.objects.count(),
        TrustedRoot.objects.count(),
    ) == counts
    assert all("TEST" in c.subject for c in Certificate.objects.all())


@requires_tool("pdfsig", "xmlsec1")
def test_list_and_export(demo_loaded, tmp_path):
    out = StringIO()
    call_command("documents", "list", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == Document.objects.count()
    first = Document.objects.filter(direction="outgoing").order_by("id").first()
    assert f"{first.pk}\t01/UBND-VX\toutgoing\tissued" in lines
    out = StringIO()
    call_command("documents", "export", str(first.pk), str(tmp_path / "x"), stdout=out)
    written = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert len(written) == 2
    pdf = next(p for p in (tmp_path / "x").iterdir() if p.suffix == ".pdf")
    edxml_file = next(p for p in (tmp_path / "x").iterdir() if p.suffix == ".edxml")
    result = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True, timeout=60)
    assert result.stdout.count("Signature is Valid.") == 2
    ca = tmp_path / "ca.pem"
    ca.write_text(TrustedRoot.objects.get().certificate_pem)
    check = subprocess.run(
        ["xmlsec1", "--verify", "--trusted-pem", str(ca), str(edxml_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no document with id 999999"):
        call_command("documents", "export", "999999", str(tmp_path / "y"))
