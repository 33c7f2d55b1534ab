"""Demo data for official documents: a TEST CA, keys, issued and received documents.

Everything here is for trying the platform out. The certification authority is a TEST CA
(its name and every certificate it issues say TEST); it is trusted only because the demo adds
it to the trusted roots. `load_demo()` runs after the places and people demos, creates only
what is missing, and can be run again without changing anything.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from tinhso.core import context
from tinhso.documents import actions, edxml, pki, stamps, xmlsig
from tinhso.documents.models import Certificate, Document, Partner, TrustedRoot
from tinhso.people.models import Role, RoleAssignment, User
from tinhso.places.models import Agency

CA_NAME = "tinhso demo TEST CA"
AXIS_PARTNER = ("000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An (TEST)")
DEMO_SUBJECTS = (
    "Về việc triển khai hệ thống quản lý văn bản và điều hành (dữ liệu thử nghiệm)",
    "Về việc báo cáo tình hình số hóa hồ sơ (dữ liệu thử nghiệm)",
)
AXIS_SUBJECT = "Về việc phối hợp liên thông văn bản điện tử (dữ liệu thử nghiệm)"


def _ca() -> pki.KeyPair:
    stored = Certificate.objects.filter(is_test=True, owner_user=None, owner_agency=None).first()
    if stored is not None:
        return actions.key_pair(stored)
    ca = pki.make_test_ca(CA_NAME)
    actions.add_certificate(ca, is_test=True)
    TrustedRoot.objects.create(name=CA_NAME, certificate_pem=ca.certificate_pem, is_test=True)
    return ca


def _ensure_agency_key(ca: pki.KeyPair, agency: Agency) -> None:
    if not Certificate.objects.filter(owner_agency=agency, state="active").exists():
        actions.add_certificate(
            pki.issue(ca, agency.name, agency.name),
            owner_agency=agency,
            chain=(ca.certificate,),
            is_test=True,
            stamp_image=stamps.seal(agency.short_name),
        )


def _ensure_user_key(ca: pki.KeyPair, user: User, agency: Agency) -> None:
    if not Certificate.objects.filter(owner_user=user, state="active").exists():
        actions.add_certificate(
            pki.issue(ca, user.full_name or user.username, agency.name),
            owner_user=user,
            chain=(ca.certificate,),
            is_test=True,
            stamp_image=stamps.signature(),
        )


def _holder(agency: Agency, role: str) -> User | None:
    found = RoleAssignment.objects.filter(agency=agency, role=role).select_related("user").first()
    return found.user if found else None


def load_demo() -> None:
    committee = Agency.objects.filter(level=Agency.Level.PROVINCE).order_by("code").first()
    if committee is None:
        return  # the places demo has not run
    departments = list(committee.children.filter(short_name__in=["STP", "SXD"]).order_by("code"))
    leader, clerk = _holder(committee, Role.LEADER), _holder(committee, Role.CLERK)
    with context.acting_as(None, channel="command"), transaction.atomic():
        ca = _ca()
        for agency in [committee, *departments]:
            _ensure_agency_key(ca, agency)
        for role_user in User.objects.filter(roles__role=Role.LEADER).distinct():
            where = role_user.roles.filter(role=Role.LEADER).first()
            if where is not None:
                _ensure_user_key(ca, role_user, where.agency)
    if leader is None or clerk is None or not departments:
        return  # the people demo has not run
    for subject, doc_type in zip(DEMO_SUBJECTS, ("CV", "KH"), strict=True):
        if Document.objects.filter(direction="outgoing", subject=subject).exists():
            continue
        with context.acting_as(clerk, channel="command"):
            draft = actions.create_draft(
                committee,
                doc_type=doc_type,
                unit="VX" if doc_type == "CV" else "",
                subject=subject,
                content="Nội dung văn bản thử nghiệm do dữ liệu mẫu tạo ra.",
                signer=leader,
                signer_position="KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
                place="Đắk Lắk",
                recipients=[actions.RecipientSpec(d.code, d.name) for d in departments],
                actor=clerk,
            )
            actions.approve_draft(draft, actor=leader)
            actions.sign_document(draft, signer=leader)
            actions.issue_document(draft, actor=clerk)
    _received_over_the_axis(ca, departments[0])


def _received_over_the_axis(ca: pki.KeyPair, agency: Agency) -> None:
    """A signed edXML package from a TEST partner, through the real receiving action."""
    organ_id, name = AXIS_PARTNER
    if Document.objects.filter(direction="incoming", sender_code=organ_id).exists():
        return
    keys = pki.issue(ca, name, name)
    Partner.objects.update_or_create(
        organ_id=organ_id,
        defaults={"name": name, "certificate_pem": keys.certificate_pem, "endpoint_url": ""},
    )
    day = date(2026, 3, 2)
    message = edxml.Message(
        sender=edxml.Organ(organ_id, name),
        recipients=[edxml.Organ(agency.code, agency.name)],
        document_id=edxml.document_id(organ_id, day, "125/UBND-KSTT"),
        code_number="125",
        code_notation="UBND-KSTT",
        promulgation_date=day.strftime(edxml.DATE),
        place="Nghệ An",
        type_name="Công văn",
        subject=AXIS_SUBJECT,
        content="Văn bản mẫu nhận qua trục liên thông (TEST).",
        signer_position="Chủ tịch",
        signer_name="Người ký thử nghiệm",
        trace=[(organ_id, "2026/03/02 09:00:00")],
        business_reason="Văn bản điện tử mới",
    )
    with context.acting_as(None, channel="command"):
        actions.receive_package(xmlsig.sign(edxml.build_message(message), keys))
