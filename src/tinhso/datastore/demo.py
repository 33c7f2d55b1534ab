"""Demo data of the data store: the demo citizen (personal identification number
066090001234) holds documents of three provenances: a paper digitised at the counter by the
receiving officer (certified copy), one they uploaded themselves, and the electronic result of
one of their demo dossiers. Never in production; running it again adds nothing.

For digitisation at the counter (`dossiers/actions/digitisation.py`) to be walkable with
`make run`: the receiving officer `tiepnhan` gets a certificate from the documents demo's TEST
CA, and the demo citizen has one counter dossier, received by `tiepnhan`, whose paper
components were scanned without legal value (not digitised): the officer digitises one of
them from its page ("Số hóa thành phần này") and the copy appears in the citizen's store.

The demo citizen is also the member (and representative) of one organisation (tax code
6000123450) whose store holds a business registration certificate they uploaded, so the
store pages show the switcher "Kho của tôi" / "Kho của <tên tổ chức>".

Not a demo loader of its own (no `load_demo`): `tinhso.dossiers.demo.load_demo` calls
`load_store_demo()` once its dossiers have results.

Legal source: Decree 45/2020/NĐ-CP (the store); the data is made up.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings


def _pdf(text: str) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=f"<p>{text}</p>").write_pdf())


def load_store_demo() -> int:
    if settings.MODE == "production":
        raise RuntimeError("the demo data store is not for production")
    from tinhso.core.context import acting_as
    from tinhso.datastore import actions
    from tinhso.datastore.models import DocumentKind, StoredDocument
    from tinhso.dossiers.models import Dossier, DossierResult
    from tinhso.people import demo as people_demo
    from tinhso.people.models import Citizen, User

    citizen = Citizen.objects.filter(personal_id=people_demo.CITIZEN_PERSONAL_ID).first()
    if citizen is None:
        return 0
    held = set(StoredDocument.objects.filter(citizen=citizen).values_list("provenance", flat=True))
    officer: Any = User.objects.filter(username="tiepnhan").first()
    with acting_as(None, channel="command"):
        if StoredDocument.Provenance.DIGITISED not in held and officer is not None:
            actions.digitise(
                citizen,
                officer=officer,
                kind=DocumentKind.objects.get(code="GKS"),
                file_name="giay-khai-sinh.pdf",
                content=_pdf("Giay khai sinh - ban sao chung thuc"),
                number="123/1990",
                issuer_name="Ủy ban nhân dân xã Hòa Thắng",
                issued_on=date(1990, 6, 2),
            )
        if StoredDocument.Provenance.UPLOADED not in held and citizen.user is not None:
            actions.upload(
                user=citizen.user,
                kind=DocumentKind.objects.get(code="GPLX"),
                file_name="giay-phep-lai-xe.pdf",
                content=_pdf("Giay phep lai xe hang B"),
                number="660123456789",
                issuer_name="Sở Xây dựng tỉnh Đắk Lắk",
                issued_on=date(2020, 3, 15),
                expires_on=date(2030, 3, 15),
            )
        if StoredDocument.Provenance.DOSSIER_RESULT not in held:
            result = (
                DossierResult.objects.filter(dossier__owner=citizen.user)
                .exclude(dossier__state=Dossier.State.DRAFT)
                .order_by("pk")
                .first()
            )
            if result is not None:
                actions.add_result(result.dossier)
    if officer is not None:
        _officer_key(officer)
        _counter_dossier(citizen, officer)
    _organisation_store(citizen)
    return StoredDocument.objects.filter(citizen=citizen).count()


DEMO_ORGANISATION_TAX_CODE = "6000123450"
DEMO_ORGANISATION_NAME = "Công ty TNHH Cà phê Ea Tu (dữ liệu mẫu)"


def _organisation_store(citizen: Any) -> None:
    """An organisation whose member (and representative) is the demo citizen, with one
    document in its store, so "Kho của <tên tổ chức>" shows on the store pages."""
    from tinhso.core.context import acting_as
    from tinhso.datastore import actions
    from tinhso.datastore.models import DocumentKind, StoredDocument
    from tinhso.people import actions as people_actions
    from tinhso.people.models import Organisation

    if citizen.user is None:
        return
    with acting_as(None, channel="command"):
        organisation = Organisation.objects.filter(tax_code=DEMO_ORGANISATION_TAX_CODE).first()
        if organisation is None:
            organisation = people_actions.register_organisation(
                tax_code=DEMO_ORGANISATION_TAX_CODE,
                name=DEMO_ORGANISATION_NAME,
                actor=None,
                address="Phường Tân Lập, tỉnh Đắk Lắk",
                representative=citizen,
                members=[citizen.user],
            )
        if not StoredDocument.objects.filter(organisation=organisation).exists():
            actions.upload(
                user=citizen.user,
                organisation=organisation,
                kind=DocumentKind.objects.get(code="GCN-DKDN"),
                file_name="giay-chung-nhan-dang-ky-doanh-nghiep.pdf",
                content=_pdf("Giay chung nhan dang ky doanh nghiep 6000123450"),
                number=DEMO_ORGANISATION_TAX_CODE,
                issuer_name="Sở Tài chính tỉnh Đắk Lắk",
                issued_on=date(2019, 4, 10),
            )


def _officer_key(officer: Any) -> None:
    """A TEST certificate for the receiving officer, from the documents demo's TEST CA."""
    from tinhso.core.context import acting_as
    from tinhso.documents import demo as documents_demo
    from tinhso.documents.models import Certificate
    from tinhso.people.models import Role

    if Certificate.objects.filter(owner_user=officer, state="active").exists():
        return
    desk = officer.roles.filter(role=Role.RECEIVING_OFFICER).select_related("agency").first()
    if desk is None:
        return
    with acting_as(None, channel="command"):
        documents_demo._ensure_user_key(documents_demo._ca(), officer, desk.agency)


DEMO_COUNTER_NOTE = "Hồ sơ nộp trực tiếp (dữ liệu mẫu số hóa)"


def _counter_dossier(citizen: Any, officer: Any) -> None:
    """One counter dossier of the demo citizen, its paper scans not digitised yet."""
    from tinhso.core.context import acting_as
    from tinhso.dossiers import actions
    from tinhso.dossiers import demo as dossiers_demo
    from tinhso.dossiers.errors import DossierError
    from tinhso.dossiers.models import Dossier

    if Dossier.objects.filter(
        owner=citizen.user, channel=Dossier.Channel.COUNTER, applicant_address=DEMO_COUNTER_NOTE
    ).exists():
        return
    for version in dossiers_demo._candidates():
        form = dossiers_demo._form_for(version, citizen)
        if form is None or not version.components.exists():
            continue
        papers = [
            actions.PaperComponent(c.pk, f"ban-quet-{c.position}.pdf", _pdf(c.name[:80]), False)
            for c in version.components.all()
            if c.required
        ] or [
            actions.PaperComponent(c.pk, f"ban-quet-{c.position}.pdf", _pdf(c.name[:80]), False)
            for c in version.components.all()[:1]
        ]
        try:
            with acting_as(officer, channel="command"):
                actions.intake(
                    version,
                    officer=officer,
                    channel="counter",
                    personal_id=citizen.personal_id,
                    full_name=citizen.full_name,
                    address=DEMO_COUNTER_NOTE,
                    form=form,
                    components=papers,
                    delivery="counter",
                )
        except DossierError:
            continue  # this desk does not receive it, or another rule: the next one
        return
