"""PAdES B-T: with a timestamp authority configured, signatures carry an RFC 3161 timestamp.

The authority here is a local HTTP server speaking RFC 3161 (TimeStampReq in, TimeStampResp
out), answering with pyHanko's test responder and a TSA certificate from the TEST CA.
"""

from __future__ import annotations

import subprocess
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from tests.tools import requires_tool
from tinhso.documents import actions, signing


def _tsa(ca) -> DummyTimeStamper:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TEST TSA")]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca.key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(der),
        tsa_key=asn1_keys.PrivateKeyInfo.load(key_der),
    )


@pytest.fixture
def tsa_url(test_ca, settings):
    stamper = _tsa(test_ca)
    requests: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            requests.append(len(body))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.DOCUMENTS_TSA_URL = f"http://127.0.0.1:{server.server_port}/tsa"
    yield requests
    server.shutdown()


@requires_tool("pdfsig")
def test_signatures_are_timestamped_when_a_tsa_is_configured(offices, tsa_url, tmp_path):
    sxd = offices["SXD"]
    draft = actions.create_draft(
        sxd.agency,
        doc_type="QD",
        subject="Quyết định có dấu thời gian",
        signer=sxd.leader,
        actor=sxd.specialist,
    )
    actions.approve_draft(draft, actor=sxd.leader)
    actions.sign_document(draft, signer=sxd.leader)
    doc = actions.issue_document(draft, actor=sxd.clerk)
    assert len(tsa_url) >= 2  # pyHanko also asks once per signature to size it
    data = bytes(actions.main_file(doc).data)
    check = signing.verify_pdf(data, actions.trusted_roots())
    assert check.ok and [s.timestamped for s in check.signatures] == [True, True]
    path = tmp_path / "bt.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout
    assert out.count("Signature is Valid.") == 2


def test_without_a_tsa_signatures_are_b_b(offices):
    sxd = offices["SXD"]
    draft = actions.create_draft(
        sxd.agency, doc_type="QD", subject="Không dấu thời gian", signer=sxd.leader, actor=None
    )
    actions.approve_draft(draft, actor=sxd.leader)
    doc = actions.sign_document(draft, signer=sxd.leader)
    check = signing.verify_pdf(bytes(actions.main_file(doc).data), actions.trusted_roots())
    assert check.ok and [s.timestamped for s in check.signatures] == [False]
