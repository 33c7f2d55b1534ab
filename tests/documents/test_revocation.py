"""Revocation where reachable: verification fetches the CRL or asks the OCSP responder named
in the signer's certificate, served here by a local HTTP server speaking for the test CA."""

from __future__ import annotations

import io
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pypdf import PdfWriter

from tinhso.documents import pki, signing


class RevocationServer:
    """`GET /ca.crl` (the CRL) and `POST /ocsp` (OCSP) for a CA; `revoked` maps serials to
    revocation times; `crl_signer` signs the CRL (the CA unless a test swaps it)."""

    def __init__(self, ca: pki.KeyPair) -> None:
        self.ca = ca
        self.crl_signer = ca
        self.revoked: dict[int, datetime] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                if self.path != "/ca.crl":
                    self.send_error(404)
                    return
                self._reply(pki.build_crl(server.crl_signer, server.revoked), "pkix-crl")

            def do_POST(self) -> None:
                server.requests.append(self.path)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                self._reply(pki.ocsp_response(server.ca, body, server.revoked), "ocsp-response")

            def _reply(self, data: bytes, kind: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", f"application/{kind}")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


@pytest.fixture
def revocation_server(test_ca):
    server = RevocationServer(test_ca)
    yield server
    server.http.shutdown()
    server.http.server_close()


def _blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _signed_by(keys: pki.KeyPair, ca: pki.KeyPair) -> bytes:
    key = signing.SigningKey(keys.to_pkcs12(b"pw", (ca.certificate,)), b"pw")
    return signing.sign_pdf(
        _blank_pdf(), key, field_name="ChuKy", stamp_text="x", box=signing.SIGNER_BOX
    )


def _check(pdf: bytes, ca: pki.KeyPair, mode: str = "soft", timeout: int = 3):
    result = signing.verify_pdf(pdf, [ca.certificate], revocation=mode, timeout=timeout)
    assert not result.error and len(result.signatures) == 1
    return result, result.signatures[0]


def test_a_good_certificate_is_checked_against_the_crl(revocation_server, test_ca):
    keys = pki.issue(test_ca, "Người ký", "Sở", crl_url=f"{revocation_server.base}/ca.crl")
    result, sig = _check(_signed_by(keys, test_ca), test_ca)
    assert (sig.revocation, sig.revocation_note) == ("good", "")
    assert sig.intact and sig.trusted and result.ok
    assert revocation_server.requests == ["/ca.crl"]
    assert result.as_dict()["signatures"][0]["revocation"] == "good"


def test_a_certificate_on_the_crl_is_revoked_and_not_ok(revocation_server, test_ca):
    keys = pki.issue(test_ca, "Người bị thu hồi", "Sở", crl_url=f"{revocation_server.base}/ca.crl")
    pdf = _signed_by(keys, test_ca)
    revocation_server.revoked[keys.certificate.serial_number] = datetime.now(UTC) - timedelta(
        days=1
    )
    result, sig = _check(pdf, test_ca)
    assert sig.revocation == "revoked"
    assert sig.revocation_note.startswith("Chứng thư số của người ký đã bị thu hồi từ ")
    assert sig.intact and not sig.trusted and not sig.ok and not result.ok
    # the same certificate in hard mode: revoked too
    assert _check(pdf, test_ca, "hard")[1].revocation == "revoked"


def test_ocsp_says_good_or_revoked(revocation_server, test_ca):
    keys = pki.issue(test_ca, "Người ký OCSP", "Sở", ocsp_url=f"{revocation_server.base}/ocsp")
    pdf = _signed_by(keys, test_ca)
    _result, sig = _check(pdf, test_ca)
    assert (sig.revocation, sig.ok) == ("good", True)
    assert revocation_server.requests == ["/ocsp"]
    revocation_server.revoked[keys.certificate.serial_number] = datetime.now(UTC) - timedelta(
        hours=2
    )
    _result, sig = _check(pdf, test_ca)
    assert (sig.revocation, sig.ok) == ("revoked", False)


def test_an_unreachable_crl_is_unknown_soft_and_a_failure_hard(test_ca):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    keys = pki.issue(test_ca, "Người ký", "Sở", crl_url=f"http://127.0.0.1:{port}/ca.crl")
    pdf = _signed_by(keys, test_ca)
    result, sig = _check(pdf, test_ca, "soft")
    assert sig.revocation == "unknown"
    assert sig.revocation_note.startswith(
        "Không có danh sách thu hồi (CRL) hoặc trả lời OCSP hợp lệ cho chứng thư số "
        "(không tải được: "
    )
    assert sig.intact and sig.trusted and result.ok  # soft-fail
    result, sig = _check(pdf, test_ca, "hard")
    assert sig.revocation == "unknown"
    assert sig.intact and not sig.trusted and not result.ok


def test_a_silent_server_costs_only_the_timeout(test_ca):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never answers
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/ca.crl"
        pdf = _signed_by(pki.issue(test_ca, "Người ký", "Sở", crl_url=url), test_ca)
        started = time.monotonic()
        result, sig = _check(pdf, test_ca, "soft", timeout=1)
        assert time.monotonic() - started < 8
        assert (sig.revocation, result.ok) == ("unknown", True)
    finally:
        silent.close()


def test_a_crl_signed_by_someone_else_is_not_taken_as_good(revocation_server, test_ca):
    revocation_server.crl_signer = pki.make_test_ca("tinhso TEST CA (impostor)")
    keys = pki.issue(test_ca, "Người ký", "Sở", crl_url=f"{revocation_server.base}/ca.crl")
    _result, sig = _check(_signed_by(keys, test_ca), test_ca)
    assert revocation_server.requests == ["/ca.crl"]
    assert (sig.revocation, sig.trusted) == ("unknown", True)  # pyHanko alone: no match, passes
    assert sig.revocation_note == (
        "Không có danh sách thu hồi (CRL) hoặc trả lời OCSP hợp lệ cho chứng thư số."
    )


def test_off_fetches_nothing(revocation_server, test_ca):
    keys = pki.issue(test_ca, "Người ký", "Sở", crl_url=f"{revocation_server.base}/ca.crl")
    revocation_server.revoked[keys.certificate.serial_number] = datetime.now(UTC)
    _result, sig = _check(_signed_by(keys, test_ca), test_ca, "off")
    assert revocation_server.requests == []
    assert sig.revocation == "unknown" and "off" in sig.revocation_note


def test_certificates_without_a_revocation_source_stay_valid(test_ca, settings):
    settings.DOCUMENTS_REVOCATION = "hard"  # the default mode comes from the setting
    keys = pki.issue(test_ca, "Người ký", "Sở")  # like the demo: no CRL, no OCSP
    result, sig = _check(_signed_by(keys, test_ca), test_ca, mode="")
    assert sig.revocation == "unknown"
    assert sig.revocation_note == "Chứng thư số không ghi nơi tra cứu thu hồi (CRL, OCSP)."
    assert result.ok


def test_the_revocation_setting_is_checked(test_ca):
    with pytest.raises(ValueError, match="soft, hard or off"):
        signing.verify_pdf(b"%PDF-", [test_ca.certificate], revocation="sometimes")


def test_a_certificate_revoked_after_signing_reads_revoked(revocation_server, test_ca):
    """No point-in-time validation yet: the status is the certificate's status now."""
    keys = pki.issue(test_ca, "Người ký", "Sở", crl_url=f"{revocation_server.base}/ca.crl")
    pdf = _signed_by(keys, test_ca)
    time.sleep(1.1)
    revocation_server.revoked[keys.certificate.serial_number] = datetime.now(UTC)
    _result, sig = _check(pdf, test_ca)
    assert (sig.revocation, sig.ok) == ("revoked", False)
