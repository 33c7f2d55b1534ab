"""The idempotency key's request hash (`request_fingerprint`) hashes a long plain string
apart from the encoder (issue 12): it must stay the digest of the payload's canonical JSON,
for every payload, or a replay with a key stored before would be refused as another body."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from tinhso.dossiers.actions import submission
from tinhso.dossiers.actions.submission import request_fingerprint, request_fingerprint_plain


def canonical(payload):
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


PDF = base64.b64encode(b"%PDF-1.4\n" + bytes(range(256)) * 900 + b"\n%%EOF\n").decode()
LONG = 5000


@pytest.mark.parametrize(
    "payload",
    [
        {"procedure": "2.000488", "form": {"ho_ten": "Nguyễn Văn Thử"}, "delivery": "online"},
        {
            "procedure": "2.000488",
            "form": {"ho_ten": "Nguyễn Văn Thử", "so_ban_sao": 1, "ok": True, "x": None},
            "attachments": [
                {"component": "TK", "filename": "to-khai.pdf", "content_base64": PDF},
                {"content_base64": PDF[:-8], "filename": "b.pdf", "component": "2"},
            ],
            "applicant": None,
        },
        # keys in another order than the sorted one, long strings under several of them
        {"z": "A" * LONG, "a": ["B" * LONG, ("C" * LONG, 1.5)], "m": {"y": "D" * LONG}},
        # long strings json escapes, or writes as is but not ASCII: hashed the direct way
        {"q": 'A"' * LONG, "b": "\\\\" * LONG, "n": "A\n" * LONG, "d": "\x7f" * LONG},
        {"v": "Văn" * LONG, "c": "\x01" + "A" * LONG, "e": "\u2028" * LONG},
        {"short": "A" * 4095, "edge": "A" * 4096, "empty": ""},
    ],
)
def test_the_fingerprint_is_the_canonical_json_digest(payload):
    assert request_fingerprint(payload) == canonical(payload)
    assert submission.request_fingerprint_plain(payload) == canonical(payload)


def test_a_payload_holding_the_placeholder_itself_falls_back(monkeypatch):
    # The placeholder is random; were it in the payload, the split could not be trusted.
    monkeypatch.setattr(submission.secrets, "token_hex", lambda n: "f" * (2 * n))
    payload = {"a": "A" * LONG, "b": "f" * 32 + "0", "c": {"f" * 32 + "0": "B" * LONG}}
    assert request_fingerprint(payload) == canonical(payload)


def test_two_payloads_differing_only_in_a_long_string_differ():
    one = {"attachments": [{"content_base64": PDF}]}
    other = {"attachments": [{"content_base64": PDF[:-4] + "AAAA"}]}
    assert request_fingerprint(one) != request_fingerprint(other)


def test_a_payload_nested_deeper_than_the_shortcut_walks_falls_back_to_the_plain_digest():
    """json.dumps nests to about 990 levels, the shortcut's walk to about 500: between them
    the digest is still the plain one, not a RecursionError (the API's parser refuses such
    depths first today; a direct caller may not)."""
    deep: object = {"x": "a" * 5000}
    for _ in range(700):
        deep = {"k": deep}
    payload = {"form": deep}
    assert request_fingerprint(payload) == request_fingerprint_plain(payload)
