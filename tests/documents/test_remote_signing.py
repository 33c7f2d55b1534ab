"""Remote signing over the CSC API v2 (signatures/signHash), against a local service that
holds the key and speaks the protocol."""

from __future__ import annotations

import base64
import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils

from tests.tools import requires_tool
from tinhso.documents import actions, pki, remote, signing
from tinhso.documents.models import Certificate

TOKEN = "test-token"


@pytest.fixture
def csc_service(test_ca):
    keys = pki.issue(test_ca, "Lãnh đạo ký từ xa", "Sở Xây dựng")
    calls: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls.append(body)
            if (
                self.path != "/csc/v2/signatures/signHash"
                or self.headers.get("Authorization") != f"Bearer {TOKEN}"
            ):
                self.send_response(401)
                self.end_headers()
                return
            assert body["hashAlgorithmOID"] == remote.HASH_OIDS["sha256"]
            signatures = [
                base64.b64encode(
                    keys.key.sign(
                        base64.b64decode(h), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
                    )
                ).decode()
                for h in body["hashes"]
            ]
            reply = json.dumps({"signatures": signatures}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", keys, calls
    server.shutdown()


@requires_tool("pdfsig")
def test_the_signer_signs_through_the_remote_service(offices, csc_service, settings, tmp_path):
    url, keys, calls = csc_service
    settings.DOCUMENTS_REMOTE_SIGNING_TOKEN = TOKEN
    sxd = offices["SXD"]
    Certificate.objects.filter(owner_user=sxd.leader).delete()
    cert = Certificate.objects.create(
        owner_user=sxd.leader,
        subject="TEST remote",
        serial=format(keys.certificate.serial_number, "x"),
        issuer="TEST CA",
        not_before=keys.certificate.not_valid_before_utc,
        not_after=keys.certificate.not_valid_after_utc,
        certificate_pem=keys.certificate_pem,
        remote_url=url,
        remote_credential_id="cred-1",
        is_test=True,
    )
    assert actions.user_certificate(sxd.leader) == cert
    draft = actions.create_draft(
        sxd.agency, doc_type="QD", subject="Ký từ xa", signer=sxd.leader, actor=None
    )
    actions.approve_draft(draft, actor=sxd.leader)
    doc = actions.sign_document(draft, signer=sxd.leader)
    assert len(calls) == 1 and calls[0]["credentialID"] == "cred-1"
    data = bytes(actions.main_file(doc).data)
    check = signing.verify_pdf(data, actions.trusted_roots())
    assert check.ok and "Lãnh đạo ký từ xa" in check.signatures[0].signer
    path = tmp_path / "remote.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout
    assert "Signature is Valid." in out


def test_a_refusal_is_a_typed_error_and_nothing_is_signed(offices, csc_service, settings):
    url, keys, _calls = csc_service
    settings.DOCUMENTS_REMOTE_SIGNING_TOKEN = "wrong"
    key = remote.RemoteSigningKey(url, "cred-1", keys.certificate_pem)
    with pytest.raises(remote.RemoteSigningError) as err:
        remote.sign_hash(url, "cred-1", b"\0" * 32, "sha256", token="wrong")
    assert not err.value.retryable and "HTTP 401" in str(err.value)
    with pytest.raises(remote.RemoteSigningError) as down:
        remote.sign_hash("http://127.0.0.1:9", "cred-1", b"\0" * 32, "sha256")
    assert down.value.retryable
    pdf = actions.main_file(
        actions.create_draft(offices["SXD"].agency, doc_type="QD", subject="x", actor=None)
    ).data
    with pytest.raises(remote.RemoteSigningError):
        signing.sign_pdf(bytes(pdf), key, field_name="X", stamp_text="x", box=signing.SIGNER_BOX)


def test_a_refused_remote_signature_changes_nothing(offices, csc_service, settings):
    url, _keys, _calls = csc_service
    settings.DOCUMENTS_REMOTE_SIGNING_TOKEN = "wrong"
    sxd = offices["SXD"]
    Certificate.objects.filter(owner_user=sxd.leader).update(
        pkcs12=None, remote_url=url, remote_credential_id="cred-1"
    )
    draft = actions.create_draft(
        sxd.agency, doc_type="QD", subject="x", signer=sxd.leader, actor=None
    )
    actions.approve_draft(draft, actor=sxd.leader)
    before = bytes(actions.main_file(draft).data)
    with pytest.raises(actions.DocumentError, match="Dịch vụ ký từ chối"):
        actions.sign_document(draft, signer=sxd.leader)
    draft.refresh_from_db()
    assert draft.state == "approved"
    assert bytes(actions.main_file(draft).data) == before
