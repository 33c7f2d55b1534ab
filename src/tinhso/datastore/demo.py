"""Demo data of the data store: the demo citizen (personal identification number
066090001234) holds documents of three provenances: a paper digitised at the counter by the
receiving officer (certified copy), one they uploaded themselves, and the electronic result of
one of their demo dossiers. Never in production; running it again adds nothing.

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
    return StoredDocument.objects.filter(citizen=citizen).count()
