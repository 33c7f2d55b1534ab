"""A dossier submitted on the national public-service portal arrives in the province.

Legal source: Decree 42/2022/NĐ-CP art. 11 (the national portal is a front door to the
provinces' online services; a dossier filed there is handled by the competent province) and
Decree 118/2025/NĐ-CP (the one-stop shop receives it like any online dossier).

`receive_from_national_portal` is `submit_via_api` for the national portal's client key, plus
the portal's own dossier code (`MaHoSo`) kept in `dvcqg.InboundDossier` (unique) in the same
transaction (its `on_created` hook; the files are written before that transaction opens).
The same `MaHoSo` delivered twice, even at the same moment and even under two of the
portal's keys, makes one dossier: the first; the second gets it back (`created` False).
The dossier then waits for reception in the one-stop queue like an online dossier, with the
channel `api` and the portal named as the submitting client, and its state changes go back
to the portal through the outbound sync under the portal's `MaHoSo` (dvcqg/queries.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError

from tinhso.catalogue.models import ProcedureVersion
from tinhso.dossiers.actions._common import check_can_submit_online
from tinhso.dossiers.actions.submission import Applicant, Attachment, submit_via_api
from tinhso.dossiers.errors import DossierError, IdempotencyConflict
from tinhso.dossiers.models import Dossier
from tinhso.dvcqg import errors as dvcqg_errors
from tinhso.dvcqg.models import InboundDossier

KEY_PREFIX = "dvcqg:"


def offered_version(procedure_code: str) -> ProcedureVersion | None:
    """The published version of a procedure the province takes online, or None."""
    version = (
        ProcedureVersion.objects.filter(
            procedure__code=procedure_code.strip(), state=ProcedureVersion.State.PUBLISHED
        )
        .select_related("procedure__agency")
        .first()
    )
    if version is None:
        return None
    try:
        check_can_submit_online(version)
    except DossierError:
        return None
    return version


def _existing(national_code: str) -> Dossier | None:
    found = (
        InboundDossier.objects.filter(national_code=national_code)
        .select_related("dossier__version__procedure", "dossier__agency")
        .first()
    )
    return found.dossier if found else None


def receive_from_national_portal(
    *,
    client: Any,
    national_code: str,
    procedure_code: str,
    applicant: Applicant,
    form: dict[str, Any],
    delivery: str,
    delivery_address: str,
    attachments: list[Attachment],
    fingerprint: str,
    submitted_at_portal: datetime | None = None,
) -> tuple[Dossier, bool]:
    """Nhận hồ sơ từ Cổng DVC quốc gia: (dossier, created). Refusals (`DomainError`):
    a procedure the province does not take online (`dvcqg.procedure_not_offered`), invalid
    input per field (the dossiers app's codes), the same `MaHoSo` with other content
    (`dvcqg.exists_with_other_content`). Nothing is stored when refused."""
    existing = _existing(national_code)
    if existing is not None:
        if _fingerprint_of(existing) not in ("", fingerprint):
            raise dvcqg_errors.EXISTS_WITH_OTHER_CONTENT(ma=national_code)
        return existing, False
    version = offered_version(procedure_code)
    if version is None:
        text = str(dvcqg_errors.PROCEDURE_NOT_OFFERED.message).format(ma=procedure_code)
        raise dvcqg_errors.PROCEDURE_NOT_OFFERED(text, fields={"MaTTHC": text})

    def record_inbound(dossier: Dossier) -> None:
        # unique: a second key of the portal racing with the same MaHoSo waits here for the
        # first transaction and then fails, rolling its dossier back (and removing its files)
        InboundDossier.objects.create(
            dossier=dossier,
            national_code=national_code,
            client=client,
            submitted_at_portal=submitted_at_portal,
        )

    try:
        dossier, created = submit_via_api(
            client=client,
            applicant=applicant,
            key=KEY_PREFIX + national_code,
            version=version,
            form=form,
            delivery=delivery,
            delivery_address=delivery_address,
            attachments=attachments,
            fingerprint=fingerprint,
            on_created=record_inbound,
        )
    except IdempotencyConflict as exc:
        raise dvcqg_errors.EXISTS_WITH_OTHER_CONTENT(ma=national_code) from exc
    except IntegrityError:
        existing = _existing(national_code)
        if existing is None:
            raise
        return existing, False
    if not created and not InboundDossier.objects.filter(dossier=dossier).exists():
        # the key's dossier from a race whose InboundDossier is the other transaction's
        found = _existing(national_code)
        return (found or dossier), False
    return dossier, created


def _fingerprint_of(dossier: Dossier) -> str:
    from tinhso.dossiers.models import IdempotencyKey

    return (
        IdempotencyKey.objects.filter(dossier=dossier, key__startswith=KEY_PREFIX)
        .values_list("request_hash", flat=True)
        .first()
        or ""
    )
