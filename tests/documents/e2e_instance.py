"""One step inside one tinhso instance, for the two-instance exchange test.

Run as `python tests/documents/e2e_instance.py <step> '<json>'` with the instance's
DATABASE_URL and TINHSO_VAR_DIR; prints a JSON answer. Every step goes through the actions.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")

import django

django.setup()

from cryptography.hazmat.primitives.serialization import load_pem_private_key  # noqa: E402

from tinhso.core import context  # noqa: E402
from tinhso.documents import actions, pki  # noqa: E402
from tinhso.documents.models import Document, Partner, StatusEvent, TrustedRoot  # noqa: E402
from tinhso.people import actions as people_actions  # noqa: E402
from tinhso.people.models import Role, User  # noqa: E402
from tinhso.places.models import Agency, Province  # noqa: E402


def _keys(folder: Path, name: str) -> pki.KeyPair:
    key = load_pem_private_key((folder / f"{name}.key").read_bytes(), None)
    return pki.KeyPair(key, pki.load_certificate((folder / f"{name}.pem").read_bytes()))  # type: ignore[arg-type]


def setup(a: dict[str, Any]) -> dict[str, Any]:
    folder = Path(a["keys"])
    ca = pki.load_certificate((folder / "ca.pem").read_bytes())
    province = Province.objects.create(
        code=a["province_code"],
        name=a["province_name"],
        division_type="tỉnh",
        codename=a["codename"],
    )
    agency = Agency.objects.create(
        code=a["agency_code"],
        name=a["agency_name"],
        short_name="UBND",
        level=Agency.Level.PROVINCE,
        province=province,
    )
    users = {}
    for username, role in (("vanthu", Role.CLERK), ("lanhdao", Role.LEADER)):
        user = people_actions.create_official(
            username=username,
            full_name=f"Cán bộ {username}",
            email=f"{username}@example.com",
            password="mat-khau-rat-dai-2026",
            actor=None,
        )
        people_actions.grant_role(user, agency, role, actor=None)
        users[username] = user
    actions.add_certificate(_keys(folder, a["me"]), owner_agency=agency, chain=(ca,), is_test=True)
    actions.add_certificate(
        _keys(folder, a["me"] + "-leader"), owner_user=users["lanhdao"], chain=(ca,), is_test=True
    )
    TrustedRoot.objects.create(
        name="TEST CA", certificate_pem=(folder / "ca.pem").read_text(), is_test=True
    )
    Partner.objects.create(
        organ_id=a["partner_code"],
        name=a["partner_name"],
        endpoint_url=a["partner_url"],
        certificate_pem=(folder / f"{a['partner']}.pem").read_text(),
    )
    return {"agency": agency.pk}


def _user(name: str) -> User:
    return User.objects.get(username=name)


def issue(a: dict[str, Any]) -> dict[str, Any]:
    agency = Agency.objects.get()
    draft = actions.create_draft(
        agency,
        doc_type="CV",
        unit="KSTT",
        subject="Về việc liên thông văn bản điện tử giữa hai tỉnh",
        content="Đề nghị phối hợp.",
        signer=_user("lanhdao"),
        signer_position="Chủ tịch",
        place=a.get("place", ""),
        recipients=[actions.RecipientSpec(a["to"], a["to_name"])],
        actor=_user("vanthu"),
    )
    actions.approve_draft(draft, actor=_user("lanhdao"))
    actions.sign_document(draft, signer=_user("lanhdao"))
    doc = actions.issue_document(draft, actor=_user("vanthu"))
    return {"id": doc.pk, "number": doc.number_and_notation, "exchange_id": doc.exchange_id}


def statuses(a: dict[str, Any]) -> dict[str, Any]:
    codes = StatusEvent.objects.filter(document_id=a["id"], outgoing=False).order_by("id")
    return {"codes": list(codes.values_list("code", flat=True))}


def incoming(a: dict[str, Any]) -> dict[str, Any]:
    docs = Document.objects.filter(direction="incoming").order_by("id")
    return {
        "documents": [
            {
                "id": d.pk,
                "state": d.state,
                "number": d.number_and_notation,
                "exchange_id": d.exchange_id,
                "pending_change": d.pending_change,
                "pdf_ok": all(f["ok"] for f in d.signature_report.get("files", {}).values()),
                "xml_signature": d.signature_report.get("xml_signature"),
            }
            for d in docs
        ]
    }


def handle(a: dict[str, Any]) -> dict[str, Any]:
    doc = Document.objects.get(pk=a["id"])
    clerk, leader = _user("vanthu"), _user("lanhdao")
    actions.register_incoming(doc, actor=clerk)
    actions.assign(doc, instruction="Xử lý", days=2, unit=doc.agency, actor=leader)
    actions.finish(doc, result="Xong", actor=leader)
    return {"ok": True}


def answer(a: dict[str, Any]) -> dict[str, Any]:
    doc = actions.answer_change(
        Document.objects.get(pk=a["id"]), accept=a["accept"], actor=_user("vanthu")
    )
    return {"state": doc.state}


def update(a: dict[str, Any]) -> dict[str, Any]:
    doc = Document.objects.get(pk=a["id"])
    actions.update_document(doc, pdf=bytes(actions.main_file(doc).data), actor=_user("vanthu"))
    return {"ok": True}


def recall(a: dict[str, Any]) -> dict[str, Any]:
    doc = actions.recall_document(
        Document.objects.get(pk=a["id"]), reason="Lấy lại", actor=_user("vanthu")
    )
    return {"state": doc.state}


STEPS = {f.__name__: f for f in (setup, issue, statuses, incoming, handle, answer, update, recall)}

if __name__ == "__main__":
    step, payload = sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    with context.acting_as(None, channel="command"):
        print(json.dumps(STEPS[step](payload), ensure_ascii=False))
