"""Every change to a dossier, one named function each, owning its transaction.

Legal sources: Decree 118/2025/NĐ-CP (submission, receipt, supplement requests, withdrawal,
results), Decree 42/2022/NĐ-CP (online submission with an e-form), Decree 45/2020/NĐ-CP
(electronic components, reuse of documents from the citizen's data store), Decision
766/QĐ-TTg (the satisfaction rating).

Each action checks its preconditions (a typed error, nothing changed), changes rows, writes
the audit record and queues notifications in the same transaction. A draft is saved step by
step so it can be resumed; `submit` turns it into a dossier with its code, look-up secret and
appointment all at once, or not at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.catalogue import eforms
from tinhso.catalogue.models import ComponentRequirement, ProcedureVersion
from tinhso.core import audit
from tinhso.core.calendar import current_calendar
from tinhso.core.identifiers import InvalidIdentifier, validate_personal_id
from tinhso.core.notify import notify
from tinhso.core.text import normalize
from tinhso.core.workdays import VIETNAM
from tinhso.dossiers import clock, codes, errors, permissions
from tinhso.dossiers.datastore import store_for
from tinhso.dossiers.errors import DossierError, IdempotencyConflict, NotAllowed
from tinhso.dossiers.models import (
    Apology,
    ApologyReminder,
    Dossier,
    DossierCounter,
    DossierEvent,
    DossierFile,
    DossierResult,
    IdempotencyKey,
    OpinionRequest,
    ProcessingPaper,
    ProcessingRoute,
    Rating,
    RouteStep,
    StepRecord,
    SupplementRequest,
)
from tinhso.dossiers.receipt import lookup_url
from tinhso.dossiers.uploads import RejectedFile, check_file
from tinhso.places.models import Agency

DOSSIER_FIELDS = [
    "code",
    "state",
    "form_data",
    "delivery",
    "delivery_address",
    "submitted_at",
    "appointment_at",
    "fee_total",
    "fee_status",
]


# --- helpers -------------------------------------------------------------------------------
def _event(dossier: Dossier, note: str = "", at: datetime | None = None) -> None:
    DossierEvent.objects.create(
        dossier=dossier, at=at or timezone.now(), state=dossier.state, note=note
    )


def _owned(dossier: Dossier, user: Any) -> None:
    if dossier.owner_id != getattr(user, "pk", None):
        raise DossierError(errors.DOSSIER_NOT_FOUND)


def _editable(dossier: Dossier) -> None:
    if dossier.state not in {Dossier.State.DRAFT, Dossier.State.SUPPLEMENT_REQUESTED}:
        raise DossierError(errors.NOT_EDITABLE)


def _locked(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_for_update().get(pk=dossier.pk)


def _citizen(user: Any) -> Any:
    from tinhso.people.models import Citizen

    return Citizen.objects.filter(user=user).first()


def agency_for(version: ProcedureVersion, chosen: Agency | None = None) -> Agency:
    """The competent agency: the procedure's own, else the one the citizen chose."""
    if version.procedure.agency_id:
        return version.procedure.agency  # type: ignore[return-value]
    if chosen is None:
        raise errors.invalid(errors.AGENCY_REQUIRED, "agency")
    return chosen


def check_can_submit_online(version: ProcedureVersion) -> None:
    if version.state != ProcedureVersion.State.PUBLISHED or not version.procedure.is_active:
        raise DossierError(errors.PROCEDURE_NOT_APPLIED)
    if not version.accepts_online():
        raise DossierError(errors.PROCEDURE_NOT_ONLINE)


# --- drafts --------------------------------------------------------------------------------
def start_draft(version: ProcedureVersion, *, user: Any, agency: Agency | None = None) -> Dossier:
    """A new draft for `version`, prefilled from the citizen's profile."""
    check_can_submit_online(version)
    chosen = agency_for(version, agency)
    citizen = _citizen(user)
    with transaction.atomic():
        dossier = Dossier.objects.create(
            version=version,
            agency=chosen,
            owner=user,
            applicant_name=(citizen.full_name if citizen else "") or user.display_name,
            applicant_phone=(citizen.phone if citizen else "") or (user.phone or ""),
            applicant_email=(citizen.email if citizen else "") or user.email,
            applicant_address=citizen.address if citizen else "",
            form_data=eforms.prefill(version.eform_schema, version.eform_layout, citizen),
            fee_total=version.total_fee,
            fee_status=Dossier.FeeStatus.UNPAID if version.total_fee else Dossier.FeeStatus.NONE,
        )
        audit.record(
            "dossier.draft_started",
            dossier,
            actor=user,
            changes={"version": [None, version.pk], "agency": [None, chosen.code]},
        )
    return dossier


def save_form(dossier: Dossier, data: Mapping[str, Any], *, user: Any) -> dict[str, str]:
    """Keep what the citizen typed; return the Vietnamese message per invalid field."""
    _owned(dossier, user)
    _editable(dossier)
    schema = dossier.version.eform_schema
    cleaned, problems = eforms.validate(schema, dict(data))
    kept = dict(cleaned)
    for name in problems:  # keep what was typed so the citizen can correct it
        if isinstance(data.get(name), str):
            kept[name] = normalize(data[name])
    with transaction.atomic():
        locked = _locked(dossier)
        _editable(locked)
        before = audit.snapshot(locked, ["form_data", "form_complete"])
        locked.form_data = kept
        locked.form_complete = not problems
        locked.save(update_fields=["form_data", "form_complete", "updated_at"])
        audit.record(
            "dossier.form_saved",
            locked,
            actor=user,
            changes=audit.diff(before, audit.snapshot(locked, ["form_data", "form_complete"])),
        )
    dossier.refresh_from_db()
    return problems


def _dossier_bytes(dossier: Dossier) -> int:
    return int(dossier.files.aggregate(total=Sum("size"))["total"] or 0)


def _component(dossier: Dossier, component_id: int) -> ComponentRequirement:
    component = dossier.version.components.filter(pk=component_id).first()
    if component is None:
        raise errors.invalid(errors.UNKNOWN_COMPONENT, "component")
    return component


def attach_file(
    dossier: Dossier, component_id: int, name: str, content: bytes, *, user: Any
) -> DossierFile:
    """Add one file to a component; RejectedFile (nothing saved) when its content is refused."""
    _owned(dossier, user)
    name = normalize(name)[:255] or "tep"
    with transaction.atomic():
        locked = _locked(dossier)
        _editable(locked)
        component = _component(locked, component_id)
        kind = check_file(name, content, already_in_dossier=_dossier_bytes(locked))
        item = DossierFile(
            dossier=locked,
            component=component,
            original_name=name,
            kind=kind,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            supplement=locked.open_supplement(),
        )
        item.file.save(name, ContentFile(content), save=False)
        stored = [item.file.name or ""]
        try:
            item.save()
            audit.record(
                "dossier.file_attached",
                locked,
                actor=user,
                changes={
                    "file": [
                        None,
                        {"component": component.pk, "name": name, "sha256": item.sha256},
                    ]
                },
            )
        except BaseException:
            _forget(stored)
            raise
    return item


def attach_from_datastore(
    dossier: Dossier, component_id: int, ref: str, *, user: Any
) -> DossierFile:
    """Point a component to a document already in the citizen's data store (ND 45/2020)."""
    _owned(dossier, user)
    store = store_for(user)
    result = store.result(ref)
    if result is None:
        raise errors.invalid(errors.UNKNOWN_STORED_DOCUMENT, "ref")
    with transaction.atomic():
        locked = _locked(dossier)
        _editable(locked)
        component = _component(locked, component_id)
        if locked.files.filter(component=component, from_result=result).exists():
            raise errors.invalid(errors.STORED_DOCUMENT_CHOSEN, "ref")
        item = DossierFile.objects.create(
            dossier=locked,
            component=component,
            original_name=result.name,
            kind=result.kind,
            size=0,  # not a new upload: it does not count against the dossier's size limit
            sha256=result.sha256,
            file=result.file.name,
            from_result=result,
            supplement=locked.open_supplement(),
        )
        audit.record(
            "dossier.file_from_datastore",
            locked,
            actor=user,
            changes={"file": [None, {"component": component.pk, "ref": ref}]},
        )
    return item


def remove_file(item: DossierFile, *, user: Any) -> None:
    dossier = item.dossier
    _owned(dossier, user)
    with transaction.atomic():
        locked = _locked(dossier)
        _editable(locked)
        if locked.state == Dossier.State.SUPPLEMENT_REQUESTED and item.supplement_id is None:
            raise DossierError(errors.SUBMITTED_FILE_KEPT)
        audit.record(
            "dossier.file_removed",
            locked,
            actor=user,
            changes={"file": [{"name": item.original_name, "sha256": item.sha256}, None]},
        )
        stored = item.file.name if item.from_result_id is None else ""
        item.delete()
        if stored:
            storage = item.file.storage
            transaction.on_commit(lambda: storage.delete(stored))


def choose_delivery(dossier: Dossier, delivery: str, address: str = "", *, user: Any) -> None:
    _owned(dossier, user)
    _editable(dossier)
    problems = delivery_errors(dossier.version, delivery, address)
    if problems:
        raise errors.invalid_input(problems)
    with transaction.atomic():
        locked = _locked(dossier)
        before = audit.snapshot(locked, ["delivery", "delivery_address"])
        locked.delivery = delivery
        locked.delivery_address = normalize(address) if delivery == Dossier.Delivery.POST else ""
        locked.save(update_fields=["delivery", "delivery_address", "updated_at"])
        audit.record(
            "dossier.delivery_chosen",
            locked,
            actor=user,
            changes=audit.diff(before, audit.snapshot(locked, ["delivery", "delivery_address"])),
        )
    dossier.refresh_from_db()


def delivery_options(version: ProcedureVersion) -> list[str]:
    """The ways to receive the result this procedure offers, electronic first.

    Results are issued electronically and an electronic result is worth the paper one
    (Decree 45/2020/NĐ-CP Art. 25), so any procedure taken online, fully or partly, returns
    it to the citizen's account and e-mail; a partly online procedure's counter step is for
    showing originals, not for collecting the result. Paper at the counter or by post stays
    on offer where the procedure has those channels.
    """
    options = [c for c in ("online", "counter", "post") if c in version.channels]
    if version.online_type == ProcedureVersion.OnlineType.NONE and "online" in options:
        options.remove("online")
    return options or ["counter"]


def delivery_errors(version: ProcedureVersion, delivery: str, address: str) -> dict[str, str]:
    if delivery not in delivery_options(version):
        return {"delivery": _("Vui lòng chọn một cách nhận kết quả mà thủ tục cho phép.")}
    if delivery == Dossier.Delivery.POST and len(normalize(address)) < 10:
        return {"delivery_address": _("Vui lòng nhập địa chỉ nhận kết quả qua bưu chính.")}
    return {}


def missing_components(dossier: Dossier) -> list[ComponentRequirement]:
    have = set(dossier.files.values_list("component_id", flat=True))
    return [c for c in dossier.version.components.all() if c.required and c.pk not in have]


def submission_errors(dossier: Dossier) -> dict[str, str]:
    """Everything that stops this draft from being submitted, per step."""
    problems: dict[str, str] = {}
    _cleaned, form_errors = eforms.validate(dossier.version.eform_schema, dossier.form_data)
    problems.update(form_errors)
    for component in missing_components(dossier):
        problems[f"component-{component.pk}"] = _("Chưa đính kèm “%(name)s”.") % {
            "name": component.name[:120]
        }
    problems.update(delivery_errors(dossier.version, dossier.delivery, dossier.delivery_address))
    return problems


def discard_draft(dossier: Dossier, *, user: Any) -> None:
    """Xóa bản nháp: the draft and its uploaded files go; nothing was submitted."""
    _owned(dossier, user)
    with transaction.atomic():
        locked = _locked(dossier)
        if locked.state != Dossier.State.DRAFT:
            raise DossierError(errors.NOT_A_DRAFT)
        names = [f.file.name or "" for f in locked.files.all() if f.from_result_id is None]
        audit.record(
            "dossier.draft_discarded",
            locked,
            actor=user,
            changes={"version": [locked.version_id, None], "files": [len(names), 0]},
        )
        locked.delete()
        transaction.on_commit(lambda: _forget(names))


def discard_abandoned_drafts(older_than: datetime) -> int:
    """Drafts untouched since `older_than`, removed with their files (a command calls this)."""
    count = 0
    for draft in Dossier.objects.filter(state=Dossier.State.DRAFT, updated_at__lt=older_than):
        discard_draft(draft, user=draft.owner)
        count += 1
    return count


# --- submission ----------------------------------------------------------------------------
def next_code(agency: Agency, moment: datetime) -> str:
    """Take the next number of the day for `agency`; call inside the submitting transaction."""
    day = moment.astimezone(VIETNAM).date()
    DossierCounter.objects.get_or_create(agency=agency, day=day)
    counter = DossierCounter.objects.select_for_update().get(agency=agency, day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    return codes.dossier_code(agency.code, day, counter.last)


def _appointment(dossier: Dossier, received_at: datetime) -> datetime:
    """The appointment for a dossier received at `received_at` (at submission: the provisional
    one on the electronic receipt; reception recomputes it), on the one legal clock."""
    calendar = current_calendar()
    start = clock.clock_start(calendar, received_at, reception_cutoff())
    return clock.appointment(calendar, start, processing_budget(dossier, start))


def submit(dossier: Dossier, *, user: Any) -> Dossier:
    """Nộp hồ sơ: the draft becomes a dossier (code, secret, appointment) or stays a draft."""
    _owned(dossier, user)
    with transaction.atomic():
        locked = _locked(dossier)
        if locked.state != Dossier.State.DRAFT:
            raise DossierError(errors.ALREADY_SUBMITTED)
        check_can_submit_online(locked.version)
        problems = submission_errors(locked)
        if problems:
            raise errors.invalid_input(problems)
        _finish_submission(locked, user=user)
    return locked


def _issue_secret(dossier: Dossier) -> None:
    """A new look-up secret: its hash on the row, the clear value on this instance only."""
    secret = codes.new_secret()
    dossier.lookup_secret_hash = codes.secret_digest(secret)
    dossier.issued_secret = secret


def _finish_submission(
    dossier: Dossier, *, user: Any, extra: Mapping[str, Any] | None = None
) -> None:
    before = audit.snapshot(dossier, DOSSIER_FIELDS)
    now = timezone.now()
    cleaned, _errors = eforms.validate(dossier.version.eform_schema, dossier.form_data)
    dossier.form_data = cleaned
    dossier.form_complete = True
    dossier.code = next_code(dossier.agency, now)
    _issue_secret(dossier)
    dossier.submitted_at = now
    dossier.appointment_at = _appointment(dossier, now)
    dossier.state = Dossier.State.SUBMITTED
    dossier.save()
    _event(dossier, "Hồ sơ đã được nộp trực tuyến.", at=now)
    audit.record(
        "dossier.submitted",
        dossier,
        actor=user,
        changes={
            **audit.diff(before, audit.snapshot(dossier, DOSSIER_FIELDS)),
            **dict(extra or {}),
        },
    )
    if dossier.applicant_email:
        notify("email", dossier.applicant_email, *_submitted_message(dossier))


def reissue_lookup_secret(dossier: Dossier, *, user: Any = None, client: Any = None) -> Dossier:
    """Cấp lại mã tra cứu: a new secret; the old one stops working at once.

    Only the hash is stored, so a lost secret cannot be shown again: this is the way back, for
    the owner (`user`) or the client application that submitted the dossier (`client`). The
    returned instance carries the new secret in `issued_secret` (shown once).
    """
    if client is not None:
        if dossier.submitted_by_client_id != client.pk:
            raise DossierError(errors.DOSSIER_NOT_FOUND)
        from tinhso.people.clients import audit_label

        actor: Any = audit_label(client)
    else:
        _owned(dossier, user)
        actor = user
    with transaction.atomic():
        locked = _locked(dossier)
        if locked.state == Dossier.State.DRAFT:
            raise DossierError(errors.DRAFT_HAS_NO_SECRET)
        _issue_secret(locked)
        locked.save(update_fields=["lookup_secret_hash", "updated_at"])
        audit.record(
            "dossier.lookup_secret_reissued",
            locked,
            actor=actor,
            changes={"lookup_secret": "reissued"},
        )
    return locked


def _submitted_message(dossier: Dossier) -> tuple[str, str]:
    appointment = dossier.appointment_at.astimezone(VIETNAM) if dossier.appointment_at else None
    subject = f"Đã nhận hồ sơ {dossier.code}"
    body = "\n".join(
        [
            f"Kính gửi {dossier.applicant_name},",
            "",
            f"{dossier.agency.name} đã nhận hồ sơ trực tuyến của Ông/Bà:",
            f"Thủ tục: {dossier.version.name}",
            f"Mã hồ sơ: {dossier.code}",
            f"Mã tra cứu: {dossier.issued_secret}",
            "Ngày hẹn trả kết quả (dự kiến): "
            + (f"{appointment:%H:%M ngày %d/%m/%Y}" if appointment else "chưa xác định"),
            "",
            "Giấy tiếp nhận điện tử và tình trạng hồ sơ:",
            f"{settings.SITE_URL.rstrip('/')}/ho-so-cua-toi/{dossier.code}/",
            "Tra cứu không cần đăng nhập (giữ kín mã tra cứu):",
            lookup_url(dossier.code or "", dossier.issued_secret),
        ]
    )
    return subject, body


@dataclass(frozen=True)
class Attachment:
    component: str  # the component's code, or its position as text
    filename: str
    content_base64: str


def request_fingerprint(payload: Mapping[str, Any]) -> str:
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _resolve_component(version: ProcedureVersion, ref: str) -> ComponentRequirement | None:
    components = list(version.components.all())
    for c in components:
        if c.code and c.code == ref:
            return c
    if ref.isdigit():
        for c in components:
            if c.position == int(ref):
                return c
    return None


@dataclass(frozen=True)
class Applicant:
    """The person a client application of another channel submits for (người nộp hồ sơ)."""

    personal_id: str
    full_name: str
    phone: str = ""
    email: str = ""
    address: str = ""


@dataclass(frozen=True)
class _CleanApplicant:
    personal_id: str
    full_name: str
    phone: str
    email: str
    address: str


def _clean_applicant(applicant: Applicant | None) -> tuple[_CleanApplicant | None, dict[str, str]]:
    """The applicant's identity checked field by field (the personal ID with its checks)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from tinhso.core.identifiers import normalize_phone

    if applicant is None:
        return None, {"applicant": _("Cần thông tin người nộp hồ sơ (applicant).")}
    problems: dict[str, str] = {}
    number = ""
    try:
        number = validate_personal_id(applicant.personal_id).number
    except InvalidIdentifier as exc:
        problems["applicant.personal_id"] = exc.message
    name = normalize(applicant.full_name)
    if not name:
        problems["applicant.full_name"] = _("Chưa nhập họ và tên người nộp.")
    elif len(name) > 200:
        problems["applicant.full_name"] = _("Họ và tên dài quá 200 ký tự.")
    phone = ""
    if (applicant.phone or "").strip():
        try:
            phone = normalize_phone(applicant.phone)
        except InvalidIdentifier as exc:
            problems["applicant.phone"] = exc.message
    email = (applicant.email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems["applicant.email"] = _("Địa chỉ email không hợp lệ.")
    if not (applicant.phone or "").strip() and not email:
        problems["applicant.phone"] = _("Cần số điện thoại hoặc email của người nộp.")
    address = normalize(applicant.address)
    if len(address) > 300:
        problems["applicant.address"] = _("Địa chỉ dài quá 300 ký tự.")
    if problems:
        return None, problems
    return _CleanApplicant(number, name, phone, email, address), {}


def submit_via_api(
    *,
    user: Any = None,
    key: str,
    version: ProcedureVersion,
    form: Mapping[str, Any],
    delivery: str,
    delivery_address: str,
    attachments: list[Attachment],
    fingerprint: str,
    agency: Agency | None = None,
    client: Any = None,
    applicant: Applicant | None = None,
) -> tuple[Dossier, bool]:
    """Create and submit a dossier in one go; a repeated key returns the first dossier.

    Either `user` (the signed-in account, which owns the dossier) or `client` (a client
    application with the dossiers.submit scope, submitting for `applicant`: the citizen's
    account is found or created by the personal ID number and owns the dossier, and
    `Dossier.submitted_by_client` names the client). Keys are scoped to the account or to
    the client. Returns (dossier, created). Bad input raises DossierError with messages per
    field, and nothing is stored, not even the key or the citizen, so a corrected retry may
    reuse the key.
    """
    if (user is None) == (client is None):
        raise ValueError("submit_via_api needs exactly one of user and client")
    if client is None and applicant is not None:
        raise errors.invalid(errors.APPLICANT_ONLY_FOR_CLIENTS, "applicant")
    scope = {"client": client} if client is not None else {"owner": user}
    existing = _replayed(scope, key, fingerprint)
    if existing is not None:
        return existing, False
    stored: list[str] = []
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(key=key, request_hash=fingerprint, **scope)
            extra_errors: dict[str, str] = {}
            clean: _CleanApplicant | None = None
            if client is not None:
                clean, extra_errors = _clean_applicant(applicant)
            prepared = _check_api_input(
                version, form, delivery, delivery_address, attachments, agency, extra_errors
            )
            if client is not None and clean is not None:
                dossier = _channel_dossier(client, clean, prepared, stored)
            else:
                dossier = _api_dossier(user, prepared, stored)
            record.dossier = dossier
            record.save(update_fields=["dossier"])
    except IntegrityError:
        _forget(stored)
        existing = _replayed(scope, key, fingerprint)
        if existing is None:
            raise
        return existing, False
    except BaseException:
        _forget(stored)
        raise
    return dossier, True


def _forget(names: list[str]) -> None:
    """Files stored by a transaction that rolled back: remove them, leave nothing behind."""
    storage = DossierFile._meta.get_field("file").storage
    for name in names:
        if name:
            storage.delete(name)


def _replayed(scope: Mapping[str, Any], key: str, fingerprint: str) -> Dossier | None:
    record = (
        IdempotencyKey.objects.filter(key=key, **scope)
        .select_related("dossier__version__procedure", "dossier__agency")
        .first()
    )
    if record is None or record.dossier is None:
        return None
    if record.request_hash != fingerprint:
        raise IdempotencyConflict(errors.IDEMPOTENCY_KEY_REUSED)
    return record.dossier


@dataclass
class _ApiInput:
    version: ProcedureVersion
    agency: Agency
    form: dict[str, Any]
    delivery: str
    delivery_address: str
    files: list[tuple[ComponentRequirement, str, bytes]]


def _check_api_input(
    version: ProcedureVersion,
    form: Mapping[str, Any],
    delivery: str,
    delivery_address: str,
    attachments: list[Attachment],
    agency: Agency | None,
    extra_errors: Mapping[str, str],
) -> _ApiInput:
    check_can_submit_online(version)
    chosen = agency_for(version, agency)
    cleaned, form_errors = eforms.validate(version.eform_schema, dict(form))
    problems = {**extra_errors, **{f"form.{k}": v for k, v in form_errors.items()}}
    problems.update(delivery_errors(version, delivery, delivery_address))
    decoded: list[tuple[ComponentRequirement, str, bytes]] = []
    total = 0
    for index, att in enumerate(attachments):
        component = _resolve_component(version, att.component)
        if component is None:
            problems[f"attachments.{index}.component"] = str(errors.UNKNOWN_COMPONENT.message)
            continue
        try:
            content = base64.b64decode(att.content_base64, validate=True)
        except ValueError:
            problems[f"attachments.{index}.content_base64"] = _("Nội dung tệp không phải base64.")
            continue
        try:
            check_file(att.filename, content, already_in_dossier=total)
        except RejectedFile as exc:
            problems[f"attachments.{index}"] = exc.message
            continue
        total += len(content)
        decoded.append((component, normalize(att.filename)[:255] or "tep", content))
    have = {c.pk for c, _, _ in decoded}
    for component in version.components.all():
        if component.required and component.pk not in have:
            problems[f"attachments.{component.code or component.position}"] = _(
                "Chưa đính kèm “%(name)s”."
            ) % {"name": component.name[:120]}
    if problems:
        raise errors.invalid_input(problems)
    return _ApiInput(
        version,
        chosen,
        cleaned,
        delivery,
        normalize(delivery_address) if delivery == "post" else "",
        decoded,
    )


def _store_api_dossier(dossier: Dossier, prepared: _ApiInput, stored: list[str]) -> None:
    for component, name, content in prepared.files:
        kind = check_file(name, content, already_in_dossier=0)
        item = DossierFile(
            dossier=dossier,
            component=component,
            original_name=name,
            kind=kind,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )
        item.file.save(name, ContentFile(content), save=False)
        stored.append(item.file.name or "")
        item.save()


def _new_api_dossier(prepared: _ApiInput, **values: Any) -> Dossier:
    version = prepared.version
    return Dossier.objects.create(
        version=version,
        agency=prepared.agency,
        channel=Dossier.Channel.API,
        form_data=prepared.form,
        delivery=prepared.delivery,
        delivery_address=prepared.delivery_address,
        fee_total=version.total_fee,
        fee_status=Dossier.FeeStatus.UNPAID if version.total_fee else Dossier.FeeStatus.NONE,
        **values,
    )


def _api_dossier(user: Any, prepared: _ApiInput, stored: list[str]) -> Dossier:
    citizen = _citizen(user)
    dossier = _new_api_dossier(
        prepared,
        owner=user,
        applicant_name=(citizen.full_name if citizen else "") or user.display_name,
        applicant_phone=(citizen.phone if citizen else "") or (user.phone or ""),
        applicant_email=(citizen.email if citizen else "") or user.email,
        applicant_address=citizen.address if citizen else "",
    )
    _store_api_dossier(dossier, prepared, stored)
    _finish_submission(dossier, user=user)
    return dossier


def _channel_dossier(
    client: Any, applicant: _CleanApplicant, prepared: _ApiInput, stored: list[str]
) -> Dossier:
    """A dossier a client application submits for a citizen: the citizen's account (found or
    created by the personal ID number, as at the counter) owns it; the client is recorded."""
    from tinhso.people.actions import ensure_citizen_account
    from tinhso.people.clients import audit_label

    owner = ensure_citizen_account(
        personal_id=applicant.personal_id,
        full_name=applicant.full_name,
        email=applicant.email,
        phone=applicant.phone,
        source=audit_label(client),
    )
    dossier = _new_api_dossier(
        prepared,
        owner=owner,
        submitted_by_client=client,
        applicant_name=applicant.full_name,
        applicant_phone=applicant.phone,
        applicant_email=applicant.email,
        applicant_address=applicant.address,
    )
    _store_api_dossier(dossier, prepared, stored)
    _finish_submission(
        dossier,
        user=audit_label(client),
        extra={
            "submitted_by_client": [None, client.name],
            "owner": [None, owner.get_username()],
        },
    )
    return dossier


# --- after submission: the citizen's side ---------------------------------------------------
def withdraw(dossier: Dossier, *, user: Any, reason: str = "") -> Dossier:
    """Rút hồ sơ: only while it waits for reception."""
    _owned(dossier, user)
    with transaction.atomic():
        locked = _locked(dossier)
        if not locked.can_be_withdrawn():
            raise DossierError(errors.TOO_LATE_TO_WITHDRAW)
        before = audit.snapshot(locked, ["state"])
        locked.state = Dossier.State.WITHDRAWN
        locked.save(update_fields=["state", "updated_at"])
        note = normalize(reason)[:1000]
        _event(locked, f"Công dân rút hồ sơ. {note}".strip())
        audit.record(
            "dossier.withdrawn",
            locked,
            actor=user,
            changes={**audit.diff(before, audit.snapshot(locked, ["state"])), "reason": note},
        )
    return locked


def rate(dossier: Dossier, level: str, comment: str = "", *, user: Any) -> Rating:
    """Đánh giá mức độ hài lòng: once per dossier."""
    _owned(dossier, user)
    if level not in Rating.Level.values:
        raise errors.invalid(errors.RATING_REQUIRED, "level")
    comment = normalize(comment)[:2000]
    if level == Rating.Level.NOT_SATISFIED and not comment:
        raise errors.invalid(errors.RATING_REASON_REQUIRED, "comment")
    with transaction.atomic():
        locked = _locked(dossier)
        if not locked.can_be_rated():
            raise DossierError(errors.NOT_SUBMITTED_YET)
        if Rating.objects.filter(dossier=locked).exists():
            raise DossierError(errors.ALREADY_RATED)
        rating = Rating.objects.create(dossier=locked, level=level, comment=comment)
        audit.record(
            "dossier.rated",
            locked,
            actor=user,
            changes={"rating": [None, {"level": level, "comment": comment}]},
        )
    return rating


def answer_supplement(
    dossier: Dossier, data: Mapping[str, Any] | None, note: str = "", *, user: Any
) -> Dossier:
    """Nộp bổ sung: corrected fields and the files added meanwhile; the clock runs again."""
    _owned(dossier, user)
    with transaction.atomic():
        locked = _locked(dossier)
        request = locked.open_supplement()
        if locked.state != Dossier.State.SUPPLEMENT_REQUESTED or request is None:
            raise DossierError(errors.NO_OPEN_SUPPLEMENT)
        merged = dict(locked.form_data)
        if data:
            merged.update({k: v for k, v in data.items() if k in request.fields})
        cleaned, problems = eforms.validate(locked.version.eform_schema, merged)
        asked = set(request.components.values_list("pk", flat=True))
        added = set(locked.files.filter(supplement=request).values_list("component_id", flat=True))
        for component in request.components.all():
            if component.pk in asked - added:
                problems[f"component-{component.pk}"] = _("Chưa bổ sung “%(name)s”.") % {
                    "name": component.name[:120]
                }
        changed = any(merged.get(k) != locked.form_data.get(k) for k in request.fields)
        if not (added or changed or normalize(note).strip()):
            # An empty answer would restart the legal clock with nothing for the officer to
            # look at: something must be sent (a file, a corrected field or an explanation).
            problems["note"] = _(
                "Chưa có nội dung bổ sung: hãy tải lên giấy tờ, sửa thông tin được yêu cầu "
                "hoặc ghi giải trình."
            )
        if problems:
            raise errors.invalid_input(problems)
        before = audit.snapshot(locked, DOSSIER_FIELDS)
        now = timezone.now()
        request.answered_at = now
        request.answer_note = normalize(note)[:2000]
        request.save(update_fields=["answered_at", "answer_note"])
        locked.form_data = cleaned
        if locked.received_at is None:  # asked at reception: back to the reception desk
            locked.state = Dossier.State.SUBMITTED
            locked.appointment_at = recomputed_appointment(locked, now)
        else:  # asked in processing: the clock runs again, shifted by the pause
            locked.state = Dossier.State.RECEIVED
            _resume_clock(locked, request, now)
        locked.save()
        _event(
            locked,
            "Công dân đã nộp bổ sung hồ sơ; hồ sơ chờ tiếp nhận lại."
            if locked.received_at is None
            else "Công dân đã nộp bổ sung hồ sơ; thời hạn giải quyết được tính tiếp.",
            now,
        )
        audit.record(
            "dossier.supplement_answered",
            locked,
            actor=user,
            changes=audit.diff(before, audit.snapshot(locked, DOSSIER_FIELDS)),
        )
    return locked


def _processing_pauses(dossier: Dossier) -> list[clock.Interval]:
    """The supplement pauses since reception (those before it do not stop the legal clock:
    it had not started)."""
    return [
        (s.requested_at, s.answered_at) for s in dossier.supplements.filter(during_processing=True)
    ]


def _resume_clock(dossier: Dossier, request: SupplementRequest, now: datetime) -> None:
    """After a pause in processing: appointment and step due time move by the pause."""
    if dossier.clock_start_at is None:
        return
    calendar = current_calendar()
    start = dossier.clock_start_at
    dossier.appointment_at = clock.appointment(
        calendar, start, processing_budget(dossier, start), _processing_pauses(dossier), now
    )
    if dossier.step_due_at is not None:
        dossier.step_due_at = _step_due(dossier, dossier.current_step, now)
        StepRecord.objects.filter(dossier=dossier, outcome=StepRecord.Outcome.OPEN).update(
            due_at=dossier.step_due_at
        )
    if dossier.due_at is not None:
        dossier.due_at = max(dossier.step_due_at or dossier.due_at, dossier.due_at)


def recomputed_appointment(dossier: Dossier, now: datetime) -> datetime | None:
    """The appointment moved by the working time spent waiting for supplements."""
    if dossier.submitted_at is None:
        return None
    calendar = current_calendar()
    start = clock.clock_start(calendar, dossier.submitted_at, reception_cutoff())
    pauses = [(s.requested_at, s.answered_at) for s in dossier.supplements.all()]
    return clock.appointment(calendar, start, processing_budget(dossier, start), pauses, now)


# --- the back office: reception and processing (issue 4) -------------------------------------
# Who may do what is in `lifecycle.ACTIONS` (states) and in `permissions.py` (roles), read
# through the `_may_*` checks below. Every refusal raises `DossierError` (or `NotAllowed`)
# before anything is written.


def _now() -> datetime:
    return timezone.now()


def _check_state(dossier: Dossier, action: str) -> None:
    refused = permissions.state_refusal(dossier, action)
    if refused:
        raise refused


# The rules themselves live once in `permissions.py`, shared with the officer's pages.
reception_agencies = permissions.reception_agencies
receivable_competent_agencies = permissions.receivable_competent_agencies


def _permit(user: Any, dossier: Dossier, refused: DossierError | None) -> None:
    permissions.enforce(user, dossier, refused)


def _may_receive(user: Any, dossier: Dossier) -> Agency:
    found = reception_agencies(user, dossier)
    _permit(user, dossier, permissions.receiving(user, dossier) if not found else None)
    if dossier.reception_agency_id:
        for agency in found:
            if agency.pk == dossier.reception_agency_id:
                return agency
    return found[0]


def _may_perform_step(user: Any, dossier: Dossier) -> None:
    _permit(user, dossier, permissions.performing_step(user, dossier))


def _may_manage_step(user: Any, dossier: Dossier) -> None:
    _permit(user, dossier, permissions.managing_step(user, dossier))


def _may_decide(user: Any, dossier: Dossier) -> None:
    _permit(user, dossier, permissions.deciding(user, dossier))


def _may_handle_result(user: Any, dossier: Dossier) -> None:
    _permit(user, dossier, permissions.handling_result(user, dossier))


def _may_return(user: Any, dossier: Dossier) -> None:
    _permit(user, dossier, permissions.returning_result(user, dossier))


# A dossier with no route has one step; its record keeps this name (stored, so Vietnamese).
DEFAULT_STEP_NAME = "Xử lý hồ sơ"


def _tell_citizen(dossier: Dossier, subject: str, lines: list[str]) -> None:
    """Queue the citizen's notification in the outbox (e-mail, else SMS)."""
    link = f"{settings.SITE_URL.rstrip('/')}/ho-so-cua-toi/{dossier.code}/"
    body = "\n".join([f"Kính gửi {dossier.applicant_name},", "", *lines, "", link])
    if dossier.applicant_email:
        notify("email", dossier.applicant_email, subject, body)
    elif dossier.applicant_phone:
        notify("sms", dossier.applicant_phone, subject, f"{subject}. {lines[0]}"[:300])


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone(VIETNAM):%H:%M ngày %d/%m/%Y}" if moment else "chưa xác định"


def _record(
    action: str, dossier: Dossier, before: dict[str, Any], actor: Any, **extra: Any
) -> None:
    changes: dict[str, Any] = dict(audit.diff(before, audit.snapshot(dossier, TRACKED)))
    changes.update({k: v for k, v in extra.items() if v not in (None, "")})
    audit.record(f"dossier.{action}", dossier, actor=actor, changes=changes)


TRACKED = [
    "state",
    "reception_agency_id",
    "received_at",
    "clock_start_at",
    "appointment_at",
    "route_id",
    "current_step_id",
    "current_agency_id",
    "assignee_id",
    "step_due_at",
    "due_at",
    "finished_at",
    "returned_at",
    "decision_reason",
]


def reception_cutoff() -> time:
    """`DOSSIER_RECEPTION_CUTOFF` ("HH:MM", default 15:00)."""
    text = str(settings.DOSSIER_RECEPTION_CUTOFF or "15:00")
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def within_day() -> clock.WithinDay:
    """`DOSSIER_WITHIN_DAY`: what "trong ngày" means ("end_of_day", the default, or
    "working_day"; see `clock`)."""
    value = getattr(settings, "DOSSIER_WITHIN_DAY", "") or clock.WithinDay.END_OF_DAY
    return clock.WithinDay(value)


def processing_budget(dossier: Dossier, start: datetime) -> timedelta:
    """The dossier's processing time as working time counted from its clock `start`."""
    version = dossier.version
    return clock.budget(
        current_calendar(),
        start,
        days=version.processing_days,
        hours=version.processing_hours,
        within_day=within_day(),
    )


def active_route(procedure_id: int) -> ProcessingRoute | None:
    return (
        ProcessingRoute.objects.filter(procedure_id=procedure_id, is_active=True)
        .order_by("-number")
        .first()
    )


def _step_due(dossier: Dossier, step: RouteStep | None, now: datetime) -> datetime:
    """The due time of `step`: its cumulative share of the dossier's time on the legal clock
    (`clock.step_due`); with no route, the appointment."""
    start = dossier.clock_start_at
    if step is None or start is None:
        return dossier.appointment_at or now
    calendar = current_calendar()
    steps = _steps(dossier)
    index = next((i for i, s in enumerate(steps) if s.pk == step.pk), len(steps) - 1)
    share = clock.share_through([s.share_percent for s in steps], index)
    pauses = _processing_pauses(dossier)
    latest = dossier.apologies.order_by("-created_at", "-pk").first()
    processing = clock.extended_processing(
        calendar,
        start,
        processing_budget(dossier, start),
        latest.new_appointment if latest else None,
        pauses,
        now,
    )
    return clock.step_due(calendar, start, processing, share, pauses, now)


def _enter_step(
    dossier: Dossier, step: RouteStep | None, at: datetime, *, by: Any, assignee: Any = None
) -> None:
    """Put the dossier at `step` at the real moment `at` (the tracking sheet's start): its
    agency, its due time on the legal clock, and a tracking-sheet row."""
    agency = (step.agency if step and step.agency_id else None) or dossier.agency
    due = _step_due(dossier, step, at)
    dossier.current_step = step
    dossier.current_agency = agency
    dossier.assignee = assignee
    dossier.step_due_at = due
    dossier.due_at = due
    StepRecord.objects.create(
        dossier=dossier,
        step=step,
        name=step.name if step else DEFAULT_STEP_NAME,
        agency=agency,
        from_user=by if getattr(by, "pk", None) else None,
        assignee=assignee,
        started_at=at,
        due_at=due,
    )


def _close_step(dossier: Dossier, outcome: str, at: datetime, note: str = "") -> None:
    StepRecord.objects.filter(dossier=dossier, outcome=StepRecord.Outcome.OPEN).update(
        outcome=outcome, finished_at=at, note=note[:2000]
    )


def receive(dossier: Dossier, *, officer: Any) -> Dossier:
    """Tiếp nhận (Mẫu 01): the legal clock starts; the dossier goes to its route's first step."""
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "receive")
        desk = _may_receive(officer, locked)
        before = audit.snapshot(locked, TRACKED)
        now = _now()
        calendar = current_calendar()
        start = clock.clock_start(calendar, now, reception_cutoff())
        locked.reception_agency = desk
        locked.received_at = now
        locked.clock_start_at = start
        locked.appointment_at = clock.appointment(calendar, start, processing_budget(locked, start))
        locked.route = active_route(locked.version.procedure_id)
        first = locked.route.steps.order_by("position").first() if locked.route else None
        locked.state = Dossier.State.RECEIVED
        _enter_step(locked, first, now, by=officer)  # the step starts now; its due time
        # counts on the legal clock from `start` (a Saturday's reception: Monday 07:30)
        locked.save()
        _event(locked, f"Đã tiếp nhận hồ sơ tại {desk.name}.", now)
        _record("received", locked, before, officer)
        _tell_citizen(
            locked,
            f"Đã tiếp nhận hồ sơ {locked.code}",
            [
                f"Hồ sơ {locked.code} đã được tiếp nhận tại {desk.name}.",
                f"Ngày hẹn trả kết quả: {_when(locked.appointment_at)}.",
            ],
        )
    return locked


@dataclass(frozen=True)
class MissingItem:
    """One line of the supplement request (Mẫu 02): a component and what is wrong with it."""

    component_id: int
    reason: str


def request_supplement(
    dossier: Dossier,
    *,
    reason: str,
    fields: list[str],
    component_ids: list[int],
    officer: Any,
    items: list[MissingItem] | None = None,
) -> SupplementRequest:
    """Yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02); in processing the clock pauses.

    `officer=None` is the system itself (the demo loader and the citizen-side tests); the views
    and the API always pass the signed-in official, whose roles are checked.
    """
    reason = normalize(reason)[:2000]
    items = list(items or [])
    if not reason and not items:
        raise errors.invalid(errors.SUPPLEMENT_REASON_REQUIRED, "reason")
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "request_supplement")
        in_processing = locked.state == Dossier.State.RECEIVED
        if officer is not None:
            if in_processing:
                _may_perform_step(officer, locked)
            else:
                locked.reception_agency = _may_receive(officer, locked)
        components = {c.pk: c for c in locked.version.components.all()}
        lines = []
        for item in items:
            component = components.get(item.component_id)
            if component is None:
                raise errors.invalid(errors.UNKNOWN_COMPONENT, "items")
            lines.append(
                {
                    "component": component.pk,
                    "name": component.name,
                    "reason": normalize(item.reason),
                }
            )
        before = audit.snapshot(locked, TRACKED)
        now = _now()
        request = SupplementRequest.objects.create(
            dossier=locked,
            requested_at=now,
            reason=reason,
            fields=list(fields),
            items=lines,
            during_processing=in_processing,
            requested_by=officer if getattr(officer, "pk", None) else None,
        )
        request.components.set(
            [
                components[pk]
                for pk in set(component_ids) | {i["component"] for i in lines}
                if pk in components
            ]
        )
        locked.state = Dossier.State.SUPPLEMENT_REQUESTED
        locked.save()
        _event(locked, f"Yêu cầu bổ sung: {reason or lines[0]['reason']}", now)
        _record("supplement_requested", locked, before, officer, reason=reason, items=lines)
        _tell_citizen(
            locked,
            f"Yêu cầu bổ sung hồ sơ {locked.code}",
            [f"Hồ sơ {locked.code} cần bổ sung: {reason}"]
            + [f"- {i['name']}: {i['reason']}" for i in lines],
        )
    return request


def reject(dossier: Dossier, *, officer: Any, reason: str) -> Dossier:
    """Từ chối tiếp nhận hồ sơ (Mẫu 03), with the reason."""
    reason = normalize(reason)[:2000]
    if not reason:
        raise errors.invalid(errors.REJECT_REASON_REQUIRED, "reason")
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "reject")
        desk = _may_receive(officer, locked)
        before = audit.snapshot(locked, TRACKED)
        now = _now()
        locked.state = Dossier.State.REJECTED
        locked.reception_agency = desk
        locked.decision_reason = reason
        locked.finished_at = now
        locked.save()
        _event(locked, f"Từ chối tiếp nhận: {reason}", now)
        _record("rejected", locked, before, officer)
        _tell_citizen(locked, f"Từ chối tiếp nhận hồ sơ {locked.code}", [f"Lý do: {reason}"])
    return locked


def assign(dossier: Dossier, *, officer: Any, to: Any) -> Dossier:
    """Phân công: the head of the current step's unit gives the step to one official."""
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "assign")
        _may_manage_step(officer, locked)
        refused = permissions.assigning_to(to, locked)
        if refused:
            raise refused
        before = audit.snapshot(locked, TRACKED)
        locked.assignee = to
        locked.save()
        StepRecord.objects.filter(dossier=locked, outcome=StepRecord.Outcome.OPEN).update(
            assignee=to
        )
        _record("assigned", locked, before, officer)
        if to.email:
            notify(
                "email",
                to.email,
                f"Được phân công xử lý hồ sơ {locked.code}",
                f"Hồ sơ {locked.code} ({locked.version.name}) được giao cho Ông/Bà; "
                f"hạn của bước: {_when(locked.step_due_at)}.\n"
                f"{settings.SITE_URL.rstrip('/')}/mot-cua/ho-so/{locked.code}/",
            )
    return locked


def _steps(dossier: Dossier) -> list[RouteStep]:
    return list(dossier.route.steps.order_by("position")) if dossier.route else []


@dataclass(frozen=True)
class Paper:
    """A file a performer hands on with the step: `kind` is a `ProcessingPaper.Kind`."""

    kind: str
    filename: str
    content: bytes


def _check_papers(papers: list[Paper]) -> None:
    total = 0
    for paper in papers:
        if paper.kind not in ProcessingPaper.Kind.values:
            raise errors.invalid(errors.PAPER_KIND_INVALID, "papers")
        check_file(paper.filename, paper.content, already_in_dossier=total)
        total += len(paper.content)


def _store_papers(
    dossier: Dossier, record: StepRecord | None, papers: list[Paper], officer: Any, now: datetime
) -> list[str]:
    stored = []
    for paper in papers:
        name = normalize(paper.filename)[:255] or "tep"
        item = ProcessingPaper(
            dossier=dossier,
            step_record=record,
            kind=paper.kind,
            original_name=name,
            file_kind=check_file(name, paper.content, already_in_dossier=0),
            size=len(paper.content),
            sha256=hashlib.sha256(paper.content).hexdigest(),
            uploaded_by=officer if getattr(officer, "pk", None) else None,
            uploaded_at=now,
        )
        item.file.save(name, ContentFile(paper.content), save=False)
        stored.append(item.file.name or "")
        item.save()
    return stored


def forward(
    dossier: Dossier, *, officer: Any, note: str = "", papers: list[Paper] | None = None
) -> Dossier:
    """Chuyển bước tiếp theo (possibly to another agency: liên thông), with the papers the
    next step reads: the draft result and the appraisal note (hồ sơ trình)."""
    papers = list(papers or [])
    _check_papers(papers)
    stored: list[str] = []
    try:
        with transaction.atomic():
            locked = _locked(dossier)
            _check_state(locked, "forward")
            _permit(officer, locked, permissions.forwarding(officer, locked))
            current = locked.current_step.position if locked.current_step else 0
            later = [s for s in _steps(locked) if s.position > current]
            waiting = locked.opinions.filter(answered_at__isnull=True).select_related("agency")
            if waiting:
                names = ", ".join(o.agency.name for o in waiting)
                raise DossierError(
                    errors.OPINIONS_PENDING, _("Còn chờ ý kiến của: %(names)s.") % {"names": names}
                )
            before = audit.snapshot(locked, TRACKED)
            now = _now()
            note = normalize(note)[:2000]
            record = locked.step_records.filter(outcome=StepRecord.Outcome.OPEN).last()
            stored = _store_papers(locked, record, papers, officer, now)
            _close_step(locked, StepRecord.Outcome.FORWARDED, now, note)
            _enter_step(locked, later[0], now, by=officer)
            locked.save()
            agency = locked.current_agency
            _event(locked, f"Chuyển xử lý: {later[0].name} ({agency.name if agency else ''}).", now)
            _record(
                "forwarded",
                locked,
                before,
                officer,
                note=note,
                papers=[{"kind": p.kind, "name": p.filename} for p in papers] or None,
            )
    except BaseException:
        _forget(stored)
        raise
    return locked


def request_opinions(
    dossier: Dossier, *, officer: Any, agencies: list[Agency], question: str
) -> list[OpinionRequest]:
    """Xin ý kiến song song: several agencies at once, each due by the current step's due time;
    the step cannot be forwarded until all have answered."""
    question = normalize(question)[:2000]
    if not question:
        raise errors.invalid(errors.QUESTION_REQUIRED, "question")
    if not agencies:
        raise errors.invalid(errors.OPINION_AGENCIES_REQUIRED, "agencies")
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "request_opinions")
        _may_perform_step(officer, locked)
        asked = set(
            locked.opinions.filter(answered_at__isnull=True).values_list("agency_id", flat=True)
        )
        if asked & {a.pk for a in agencies} or locked.current_agency_id in {a.pk for a in agencies}:
            raise errors.invalid(errors.OPINION_AGENCY_INVALID, "agencies")
        now = _now()
        due = locked.step_due_at or now
        made = [
            OpinionRequest.objects.create(
                dossier=locked,
                agency=agency,
                question=question,
                requested_by=officer,
                requested_at=now,
                due_at=due,
            )
            for agency in agencies
        ]
        _event(locked, "Xin ý kiến: " + ", ".join(a.name for a in agencies), now)
        audit.record(
            "dossier.opinions_requested",
            locked,
            actor=officer,
            changes={"opinions": [None, [a.code for a in agencies]], "question": question},
        )
    return made


def give_opinion(dossier: Dossier, *, officer: Any, answer: str) -> OpinionRequest:
    """Cho ý kiến: an official of an asked agency answers its open request."""
    answer = normalize(answer)[:4000]
    if not answer:
        raise errors.invalid(errors.ANSWER_REQUIRED, "answer")
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "give_opinion")
        mine = permissions.opinion_agencies(officer)
        opinion = (
            locked.opinions.select_for_update()
            .filter(answered_at__isnull=True, agency_id__in=mine)
            .order_by("pk")
            .first()
        )
        if opinion is None:
            _permit(officer, locked, NotAllowed(errors.NOT_CONSULTED))
            raise NotAllowed(errors.NOT_CONSULTED)  # (`_permit` always raises here)
        now = _now()
        opinion.answer = answer
        opinion.answered_by = officer
        opinion.answered_at = now
        opinion.save()
        audit.record(
            "dossier.opinion_given",
            locked,
            actor=officer,
            changes={"opinion": [None, {"agency": opinion.agency.code, "answer": answer}]},
        )
    return opinion


def return_to_step(dossier: Dossier, *, officer: Any, position: int, reason: str) -> Dossier:
    """Trả lại một bước trước (e.g. the leader sends the draft back to the specialist)."""
    reason = normalize(reason)[:2000]
    if not reason:
        raise errors.invalid(errors.RETURN_REASON_REQUIRED, "reason")
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "return_to_step")
        _permit(officer, locked, permissions.returning_to_step(officer, locked))
        current = locked.current_step.position if locked.current_step else 0
        target = next((s for s in _steps(locked) if s.position == position), None)
        if target is None or position >= current:
            raise errors.invalid(errors.RETURN_POSITION_INVALID, "position")
        before = audit.snapshot(locked, TRACKED)
        now = _now()
        _close_step(locked, StepRecord.Outcome.RETURNED, now, reason)
        _enter_step(locked, target, now, by=officer)
        locked.save()
        _event(locked, f"Trả lại bước “{target.name}”: {reason}", now)
        _record("returned_to_step", locked, before, officer, reason=reason)
    return locked


def extend(dossier: Dossier, *, officer: Any, reason: str, new_appointment: datetime) -> Apology:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04) from the agency at fault.

    The agency at fault is the current step's agency; it must apologise before the dossier
    becomes late, so a new appointment is refused once the appointment has passed.
    """
    reason = normalize(reason)[:2000]
    if not reason:
        raise errors.invalid(errors.DELAY_REASON_REQUIRED, "reason")
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "extend")
        _may_manage_step(officer, locked)
        now = _now()
        current = current_appointment(locked)
        if current is None or now > current:
            raise DossierError(errors.ALREADY_LATE)
        if new_appointment <= current:
            raise errors.invalid(errors.NEW_APPOINTMENT_TOO_EARLY, "new_appointment")
        before = audit.snapshot(locked, TRACKED)
        apology = Apology.objects.create(
            dossier=locked,
            agency=locked.current_agency or locked.agency,
            reason=reason,
            previous_appointment=current,
            new_appointment=new_appointment,
            created_by=officer,
            created_at=now,
        )
        if locked.step_due_at and locked.step_due_at < new_appointment:
            locked.due_at = new_appointment
            locked.save()
        _event(locked, f"Xin lỗi và hẹn lại ngày trả kết quả: {_when(new_appointment)}.", now)
        _record(
            "extended",
            locked,
            before,
            officer,
            apology={"agency": apology.agency.code, "new": new_appointment.isoformat()},
            reason=reason,
        )
        _tell_citizen(
            locked,
            f"Xin lỗi và hẹn lại ngày trả kết quả hồ sơ {locked.code}",
            [
                f"{apology.agency.name} xin lỗi Ông/Bà vì hồ sơ chậm: {reason}",
                f"Ngày hẹn trả kết quả mới: {_when(new_appointment)}.",
            ],
        )
    return apology


def current_appointment(dossier: Dossier) -> datetime | None:
    """The appointment in force: the latest apology's new date, else the legal one."""
    latest = dossier.apologies.order_by("-created_at", "-pk").first()
    return latest.new_appointment if latest else dossier.appointment_at


def _decide(dossier: Dossier, officer: Any, action: str, reason: str) -> Dossier:
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, action)
        _may_decide(officer, locked)
        before = audit.snapshot(locked, TRACKED)
        now = _now()
        _close_step(locked, StepRecord.Outcome.FINISHED, now, reason)
        locked.state = Dossier.State.APPROVED if action == "approve" else Dossier.State.REFUSED
        locked.finished_at = now
        locked.decision_reason = reason if action == "refuse" else ""
        locked.assignee = None
        locked.save()
        if action == "approve":
            _event(locked, "Lãnh đạo đã phê duyệt hồ sơ.", now)
            _record("approved", locked, before, officer)
        else:
            _event(locked, f"Từ chối giải quyết: {reason}", now)
            _record("refused", locked, before, officer)
            _tell_citizen(
                locked, f"Hồ sơ {locked.code} không được giải quyết", [f"Lý do: {reason}"]
            )
    return locked


def approve(dossier: Dossier, *, officer: Any) -> Dossier:
    """Phê duyệt: the leader at the last step approves; the result is prepared next."""
    return _decide(dossier, officer, "approve", "")


def refuse(dossier: Dossier, *, officer: Any, reason: str) -> Dossier:
    """Từ chối giải quyết, with the reason written back to the citizen."""
    reason = normalize(reason)[:2000]
    if not reason:
        raise errors.invalid(errors.REFUSE_REASON_REQUIRED, "reason")
    return _decide(dossier, officer, "refuse", reason)


def attach_result(dossier: Dossier, name: str, content: bytes, *, officer: Any) -> DossierResult:
    """Đính kèm kết quả: an uploaded file, or the signed PDF the documents module hands over.

    Hook for the documents module: call `attach_result(dossier, name, signed_pdf_bytes,
    officer=signer)` once the document is signed; nothing else is needed here.
    """
    name = normalize(name)[:500]
    if not name:
        raise errors.invalid(errors.RESULT_NAME_REQUIRED, "name")
    kind = check_file(name, content, already_in_dossier=0)
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "attach_result")
        _may_handle_result(officer, locked)
        now = _now()
        result = DossierResult(
            dossier=locked,
            name=name,
            kind=kind,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            issued_at=now,
        )
        result.file.save(f"{locked.pk}-{result.sha256[:16]}.{kind}", ContentFile(content), False)
        stored = [result.file.name or ""]
        try:
            result.save()
            audit.record(
                "dossier.result_attached",
                locked,
                actor=officer,
                changes={"result": [None, {"name": name, "sha256": result.sha256}]},
            )
        except BaseException:
            _forget(stored)
            raise
    return result


def mark_ready(dossier: Dossier, *, officer: Any) -> Dossier:
    """Xác nhận đã có kết quả: the citizen is told to collect it (or gets it online)."""
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "mark_ready")
        _permit(officer, locked, permissions.marking_ready(officer, locked))
        before = audit.snapshot(locked, TRACKED)
        now = _now()
        locked.state = Dossier.State.RESULT_READY
        locked.current_agency = locked.reception_agency or locked.agency
        locked.save()
        _event(locked, "Đã có kết quả giải quyết.", now)
        _record("result_ready", locked, before, officer)
        _tell_citizen(
            locked,
            f"Hồ sơ {locked.code} đã có kết quả",
            [f"Kết quả: {locked.results.first()}", f"Cách nhận: {locked.get_delivery_display()}"],
        )
    return locked


RETURN_WAYS = {"desk": "tại Bộ phận Một cửa", "online": "trực tuyến", "post": "qua bưu chính"}


def return_result(dossier: Dossier, *, officer: Any, how: str) -> Dossier:
    """Trả kết quả at the desk, online or by post (also the written refusal)."""
    if how not in RETURN_WAYS:
        raise errors.invalid(errors.RETURN_HOW_REQUIRED, "how")
    with transaction.atomic():
        locked = _locked(dossier)
        _check_state(locked, "return_result")
        _may_return(officer, locked)
        if how == "online" and not locked.results.exists():
            raise errors.invalid(errors.NO_ELECTRONIC_RESULT, "how")
        before = audit.snapshot(locked, TRACKED)
        now = _now()
        locked.state = Dossier.State.RETURNED
        locked.returned_at = now
        locked.save()
        _event(locked, f"Đã trả kết quả {RETURN_WAYS[how]}.", now)
        _record("result_returned", locked, before, officer, how=how)
        _tell_citizen(
            locked, f"Đã trả kết quả hồ sơ {locked.code}", [f"Cách trả: {RETURN_WAYS[how]}."]
        )
    return locked


def issue_result(dossier: Dossier, name: str, content: bytes, *, officer: Any) -> DossierResult:
    """System shortcut (demo loader, citizen-side tests): result on a dossier with no route.

    Not reachable from any page or endpoint; officials go through approve → attach_result →
    mark_ready, which check their roles.
    """
    kind = check_file(name, content, already_in_dossier=0)
    with transaction.atomic():
        locked = _locked(dossier)
        if locked.state not in {Dossier.State.SUBMITTED, Dossier.State.RECEIVED}:
            raise DossierError(errors.NOT_BEING_PROCESSED)
        before = audit.snapshot(locked, ["state"])
        now = _now()
        result = DossierResult(
            dossier=locked,
            name=normalize(name),
            kind=kind,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            issued_at=now,
        )
        result.file.save(f"{locked.pk}-{result.sha256[:16]}.{kind}", ContentFile(content), False)
        result.save()
        locked.state = Dossier.State.RESULT_READY
        locked.finished_at = now
        locked.save(update_fields=["state", "finished_at", "updated_at"])
        _event(locked, f"Đã có kết quả: {result.name}", now)
        audit.record(
            "dossier.result_issued",
            locked,
            actor=officer,
            changes={**audit.diff(before, {"state": locked.state}), "result": result.name},
        )
    return result


# --- intake at the counter and by post -------------------------------------------------------
@dataclass(frozen=True)
class PaperComponent:
    """A component handed in on paper: scanned (`content`) and whether the scan is digitised
    with legal value (Decision 766 indicator 4.2)."""

    component_id: int
    filename: str
    content: bytes
    digitised: bool


def intake(
    version: ProcedureVersion,
    *,
    officer: Any,
    channel: str,
    personal_id: str,
    full_name: str,
    phone: str = "",
    email: str = "",
    address: str = "",
    form: Mapping[str, Any] | None = None,
    components: list[PaperComponent] | None = None,
    delivery: str = "counter",
    delivery_address: str = "",
    agency: Agency | None = None,
) -> Dossier:
    """Tiếp nhận trực tiếp / qua bưu chính on the citizen's behalf: code, receipt, clock.

    Decree 118/2025: the desk receives regardless of the administrative boundary within the
    province; the dossier goes to the competent agency, not to the desk that took it.
    """
    from tinhso.people.actions import ensure_citizen_account

    if channel not in {Dossier.Channel.COUNTER, Dossier.Channel.POST}:
        raise errors.invalid(errors.CHANNEL_INVALID, "channel")
    chosen = agency_for(version, agency)
    probe = Dossier(agency=chosen, version=version)
    desk = _may_receive(officer, probe)
    cleaned, problems = eforms.validate(version.eform_schema, dict(form or {}))
    problems = {f"form.{k}": v for k, v in problems.items()}
    problems.update(delivery_errors(version, delivery, delivery_address))
    given = {c.component_id for c in components or []}
    for requirement in version.components.all():
        if requirement.required and requirement.pk not in given:
            problems[f"component-{requirement.pk}"] = _("Thiếu “%(name)s”.") % {
                "name": requirement.name[:120]
            }
    for index, item in enumerate(components or []):
        if not version.components.filter(pk=item.component_id).exists():
            problems[f"components.{index}"] = str(errors.UNKNOWN_COMPONENT.message)
        else:
            try:
                check_file(item.filename, item.content, already_in_dossier=0)
            except RejectedFile as exc:
                problems[f"components.{index}"] = exc.message
    name = normalize(full_name)
    if not name:
        problems["full_name"] = _("Vui lòng nhập họ và tên người nộp.")
    try:
        validate_personal_id((personal_id or "").strip())
    except InvalidIdentifier as exc:
        problems["personal_id"] = exc.message
    if problems:
        raise errors.invalid_input(problems)
    stored: list[str] = []
    try:
        with transaction.atomic():
            user = ensure_citizen_account(
                personal_id=personal_id, full_name=name, phone=phone, email=email, source=channel
            )
            dossier = Dossier.objects.create(
                version=version,
                agency=chosen,
                owner=user,
                channel=channel,
                applicant_name=name,
                applicant_phone=phone,
                applicant_email=email,
                applicant_address=normalize(address),
                form_data=cleaned,
                form_complete=True,
                delivery=delivery,
                delivery_address=normalize(delivery_address) if delivery == "post" else "",
                fee_total=version.total_fee,
                fee_status=Dossier.FeeStatus.UNPAID if version.total_fee else "none",
                reception_agency=desk,
            )
            for item in components or []:
                kind = check_file(item.filename, item.content, already_in_dossier=0)
                record = DossierFile(
                    dossier=dossier,
                    component_id=item.component_id,
                    original_name=normalize(item.filename)[:255] or "tep",
                    kind=kind,
                    size=len(item.content),
                    sha256=hashlib.sha256(item.content).hexdigest(),
                    digitised=item.digitised,
                )
                record.file.save(record.original_name, ContentFile(item.content), save=False)
                stored.append(record.file.name or "")
                record.save()
            _finish_submission(dossier, user=officer)
            receive(dossier, officer=officer)
    except BaseException:
        _forget(stored)
        raise
    dossier.refresh_from_db()
    return dossier


def remind_apologies(now: datetime | None = None) -> list[ApologyReminder]:
    """Ask the agency at fault for its apology before a dossier becomes late (Decree
    118/2025: the agency that causes the delay apologises and sets a new appointment).

    Runs periodically (`dossiers/jobs.py`). The leaders and heads of the agency at fault get
    one e-mail per dossier and appointment; a new appointment after an apology starts over.
    """
    from django.db.models import Q

    from tinhso.dossiers import queries
    from tinhso.people.models import RoleAssignment

    now = now or _now()
    # The warning is in working hours; three weeks of calendar covers it across Tết.
    horizon = now + timedelta(days=21)
    candidates = Dossier.objects.filter(state=Dossier.State.RECEIVED).filter(
        Q(appointment_at__lte=horizon) | Q(step_due_at__lte=now)
    )
    sent = []
    for dossier in candidates.select_related("version", "current_agency").iterator():
        agency = queries.apology_due(dossier, now)
        appointment = current_appointment(dossier)
        if agency is None or appointment is None:
            continue
        with transaction.atomic():
            reminder, created = ApologyReminder.objects.get_or_create(
                dossier=dossier,
                agency=agency,
                appointment=appointment,
                defaults={"sent_at": now},
            )
            if not created:
                continue
            emails = sorted(
                set(
                    RoleAssignment.objects.filter(
                        agency=agency, role__in=permissions.MANAGING_ROLES
                    )
                    .exclude(user__email="")
                    .values_list("user__email", flat=True)
                )
            )
            subject = f"Cần xin lỗi và hẹn lại ngày trả kết quả hồ sơ {dossier.code}"
            body = (
                f"Hồ sơ {dossier.code} hẹn trả kết quả {_when(appointment)} có nguy cơ trễ hạn "
                f"tại {agency.name}. Theo quy định, cơ quan gây chậm phải có Phiếu xin lỗi và "
                "hẹn lại ngày trả kết quả (Mẫu 04) trước khi hồ sơ quá hạn."
            )
            for email in emails:
                notify("email", email, subject, body)
            audit.record(
                "dossier.apology_requested",
                dossier,
                actor=None,
                changes={
                    "agency": [None, agency.code],
                    "appointment": [None, appointment],
                    "notified": [None, emails],
                },
            )
        sent.append(reminder)
    return sent
