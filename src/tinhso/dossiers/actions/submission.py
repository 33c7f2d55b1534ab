"""Submission (nộp hồ sơ) on the portal and through the API, the look-up secret, and the
citizen's side after it: withdrawal, rating (Decision 766/QĐ-TTg), answering a supplement
request. Decree 118/2025/NĐ-CP.

Who files (Decree 118/2025/NĐ-CP, dossiers received through an authorised person; Civil
Code 2015 Art. 138-143): a signed-in citizen submits as themselves, the applicant's identity
coming from the account (`drafts.apply_identity`), or declares a filing on behalf of another
person with the authorisation document in its slot (`drafts.OnBehalf`). A client application
of another channel submits for the `applicant` it names, as before; every dossier records
who filed it and for whom, and the submission's audit record says which.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.catalogue import eforms
from tinhso.catalogue.models import ComponentRequirement, ProcedureVersion
from tinhso.core import audit, compiled_reads, inserts, outbox
from tinhso.core.identifiers import InvalidIdentifier, validate_personal_id
from tinhso.core.text import normalize
from tinhso.core.workdays import VIETNAM
from tinhso.dossiers import codes, errors
from tinhso.dossiers.actions._common import (
    DOSSIER_FIELDS,
    _appointment,
    _citizen,
    _event,
    _forget,
    _ioc_changed,
    _locked,
    _owned,
    _resume_clock,
    _store_first,
    agency_for,
    check_can_submit_online,
    next_code,
    notify,
    recomputed_appointment,
)
from tinhso.dossiers.actions.drafts import (
    AUTHORISATION_SLOT,
    Identity,
    OnBehalf,
    account_identity,
    apply_identity,
    authorisation_required,
    clean_on_behalf,
    declaration,
    delivery_errors,
    identity_fields,
    set_filing,
    submission_errors,
)
from tinhso.dossiers.errors import DossierError, IdempotencyConflict
from tinhso.dossiers.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    IdempotencyKey,
    Rating,
)
from tinhso.dossiers.receipt import lookup_url
from tinhso.dossiers.uploads import RejectedFile, check_file
from tinhso.payments import actions as payments
from tinhso.payments.errors import PaymentError
from tinhso.payments.models import Charge
from tinhso.places.models import Agency

log = logging.getLogger("tinhso.dossiers")


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
        on_behalf = declaration(locked)
        locked.form_data, _problems = apply_identity(
            locked.version, locked.form_data, user=user, on_behalf=on_behalf
        )
        set_filing(locked, on_behalf, user=user)
        _finish_submission(locked, user=user)
        charge_at_submission(locked, actor=user)
    return locked


def charge_at_submission(dossier: Dossier, *, actor: Any) -> None:
    """The fee due at submission, charged in the submission's own transaction: a charge never
    outlives a rolled-back submission, and a submitted dossier is never left without the
    charge its citizen is about to be asked for (a crash between two transactions did that)."""
    charge_due(dossier, "submission", actor=actor)


def _charge_new_dossier(dossier: Dossier, *, actor: Any) -> None:
    """`charge_at_submission` for a dossier created in the caller's transaction (the API's
    submission): the same charge, in the same transaction, with the same fee fields and
    audit records, without what only an existing dossier needs. No other transaction can see
    the row yet, so it has no charge to read back, none can be written beside this one and
    nothing can pay one meanwhile: no savepoints, no locked re-read, no read of its charges.
    A fee table that cannot price the dossier fails before anything is written, so with no
    savepoint there is still nothing to roll back: logged, nothing charged, as before."""
    try:
        charge = payments.charge_new_dossier(dossier, "submission")
    except PaymentError:
        log.exception("dossier %s: the fee due at submission could not be charged", dossier.code)
        return
    if charge is None:
        total, status = 0, Dossier.FeeStatus.NONE
    else:  # a new charge is open
        total, status = charge.total, Dossier.FeeStatus.UNPAID
    _align_fee(dossier, total, status, actor=actor)


def _align_fee(dossier: Dossier, total: int, status: str, *, actor: Any) -> None:
    """The dossier's fee fields set to its charges' (`dossier` is locked or new)."""
    if (dossier.fee_total, dossier.fee_status) != (total, status):
        changes = {
            "fee_total": [dossier.fee_total, total],
            "fee_status": [dossier.fee_status, status],
        }
        dossier.fee_total, dossier.fee_status = total, status
        dossier.save(update_fields=["fee_total", "fee_status", "updated_at"])
        audit.record("dossier.fee_charged", dossier, actor=actor, changes=changes)


def charge_due(dossier: Dossier, due: str, *, actor: Any) -> None:
    """The dossier's charge at `due`, and its fee fields brought in line with its charges:
    `version.total_fee` sums every line of the table, a charge only what this channel owes at
    that point (docs/payments.md, "Fees"), and the ledger moves "unpaid" to "paid" only.
    Called inside the transaction of the step that made the charge due (submission, intake,
    the result made ready), so the step never commits without its charge. A fee table that
    cannot price the dossier does not undo the step: the attempt is rolled back to its
    savepoint, logged for an administrator, and nothing is charged."""
    try:
        with transaction.atomic():
            payments.charge_for(dossier, due)
    except PaymentError:
        log.exception("dossier %s: the fee due at %s could not be charged", dossier.code, due)
        return
    with transaction.atomic():
        locked = _locked(dossier)
        # Read under the dossier's lock: the ledger's "paid" update waits for it, then sees
        # what is written here.
        charges = list(
            Charge.objects.filter(dossier=locked)
            .exclude(state=Charge.State.CANCELLED)
            .values_list("state", "total")
        )
        total = sum(amount for _state, amount in charges)
        if not charges:
            status = Dossier.FeeStatus.NONE
        elif any(state == Charge.State.OPEN for state, _amount in charges):
            status = Dossier.FeeStatus.UNPAID
        else:
            status = Dossier.FeeStatus.PAID
        _align_fee(locked, total, status, actor=actor)
    dossier.fee_total, dossier.fee_status = total, status


def _issue_secret(dossier: Dossier) -> None:
    """A new look-up secret: its hash on the row, the clear value on this instance only."""
    secret = codes.new_secret()
    dossier.lookup_secret_hash = codes.secret_digest(secret)
    dossier.issued_secret = secret


@dataclass(frozen=True)
class _Marked:
    """A dossier marked submitted (`_mark_submitted`): its audit snapshot before, and when."""

    before: dict[str, Any]
    now: datetime


def _mark_submitted(dossier: Dossier) -> _Marked:
    """The submission's own fields set on `dossier` (not saved): its cleaned form, look-up
    secret, submission time and appointment; the state changes with the code
    (`_finish_submission`: the table holds no submitted dossier without a code)."""
    before = audit.snapshot(dossier, DOSSIER_FIELDS)
    now = timezone.now()
    cleaned, _errors = eforms.validate(dossier.version.eform_schema, dossier.form_data)
    dossier.form_data = cleaned
    dossier.form_complete = True
    _issue_secret(dossier)
    dossier.submitted_at = now
    dossier.appointment_at = _appointment(dossier, now)
    return _Marked(before, now)


# How the dossier came in, by its channel, in its submission event: the counter's and the
# post's intake are paper filings, the portal and the client applications file online.
SUBMITTED_VIA: dict[str, str] = {
    Dossier.Channel.WEB: "trực tuyến",
    Dossier.Channel.API: "trực tuyến",
    Dossier.Channel.COUNTER: "trực tiếp tại Bộ phận Một cửa",
    Dossier.Channel.POST: "qua dịch vụ bưu chính công ích",
}


def _finish_submission(
    dossier: Dossier,
    *,
    user: Any,
    extra: Mapping[str, Any] | None = None,
    marked: _Marked | None = None,
) -> DossierEvent:
    """Submit `dossier`: its event, its code, the row saved, the audit record, the citizen's
    message. `marked`: the API's new dossier, inserted with the submission's fields
    (`_submit_new`), so only its state and code are left to write."""
    fields: list[str] | None = None  # a draft: the whole row
    if marked is None:
        marked = _mark_submitted(dossier)
    else:
        fields = ["state", "code", "updated_at"]
    before, now = marked.before, marked.now
    dossier.state = Dossier.State.SUBMITTED
    # the history says how and who filed for whom (a record, in Vietnamese)
    via = SUBMITTED_VIA.get(dossier.channel, SUBMITTED_VIA[Dossier.Channel.WEB])
    event = _event(
        dossier,
        f"Hồ sơ đã được nộp {via}: {dossier.filer_name} nộp thay cho "
        f"{dossier.applicant_name} ({dossier.on_behalf_relation})."
        if dossier.is_on_behalf
        else f"Hồ sơ đã được nộp {via}.",
        at=now,
    )
    # The day's counter last (Lock order, docs/architecture.md): its row is held until
    # commit, so only the writes that need the code come after it.
    dossier.code = next_code(dossier.agency, now)
    dossier.save(update_fields=fields)
    audit.record(
        "dossier.submitted",
        dossier,
        actor=user,
        changes={
            **audit.diff(before, audit.snapshot(dossier, DOSSIER_FIELDS)),
            **_filing_changes(dossier),
            **dict(extra or {}),
        },
    )
    if dossier.applicant_email:
        notify(
            "email",
            dossier.applicant_email,
            *_submitted_message(dossier),
            account=dossier.owner,
        )
    return event


def _filing_changes(dossier: Dossier) -> dict[str, list[Any]]:
    """Who filed and for whom, in the submission's audit record."""
    changes: dict[str, list[Any]] = {
        "filing": [None, dossier.filing],
        "applicant": [
            None,
            {"name": dossier.applicant_name, "personal_id": dossier.applicant_personal_id},
        ],
        "filed_by": [None, dossier.filed_by.get_username() if dossier.filed_by else None],
    }
    if dossier.is_on_behalf:
        changes["on_behalf_relation"] = [None, dossier.on_behalf_relation]
        changes["authorisation"] = [
            None,
            [{"name": f.original_name, "sha256": f.sha256} for f in dossier.authorisation_files()],
        ]
    return changes


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
    # the contacts are the filer's: on behalf, the message is theirs and says for whom
    addressee = dossier.filer_name if dossier.is_on_behalf else dossier.applicant_name
    behalf = f" (nộp thay cho {dossier.applicant_name})" if dossier.is_on_behalf else ""
    body = "\n".join(
        [
            f"Kính gửi {addressee},",
            "",
            f"{dossier.agency.name} đã nhận hồ sơ trực tuyến của Ông/Bà{behalf}:",
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
    """sha256 of the payload's canonical JSON (sorted keys, no spaces, UTF-8): the key's
    `request_hash`, so it never changes for the same payload.

    A long string json writes as it is (an attachment's base64: ASCII without quote,
    backslash or control) is hashed as its own bytes between quotes rather than passed
    through the encoder: the same bytes, hence the same digest, without the encoder's
    per-character scan and two copies of the whole body, half a millisecond of a 200 KB
    submission (issue 12)."""
    long: dict[str, bytes] = {}
    stem = secrets.token_hex(16)

    def swap(value: Any) -> Any:
        # The types json.dumps takes as strings, objects and arrays.
        if isinstance(value, str):
            if len(value) >= _LONG_STRING and value.isascii():
                raw = value.encode("ascii")
                if not raw.translate(None, _JSON_AS_IS):
                    token = f"{stem}{len(long)}"
                    long[token] = raw
                    return token
            return value
        if isinstance(value, dict):
            return {key: swap(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [swap(item) for item in value]
        return value

    try:
        swapped = swap(payload) if isinstance(payload, dict) else payload
    except RecursionError:  # nesting json.dumps takes (~990 levels) but `swap` does not
        return request_fingerprint_plain(payload)
    body = json.dumps(swapped, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    if not long:
        return hashlib.sha256(body.encode()).hexdigest()
    pieces = re.split(f'"({stem}[0-9]+)"', body)
    if len(pieces) != 2 * len(long) + 1:  # the stem elsewhere in the payload: no shortcut
        return request_fingerprint_plain(payload)
    digest = hashlib.sha256()
    for index, piece in enumerate(pieces):
        if index % 2:
            digest.update(b'"')
            digest.update(long[piece])
            digest.update(b'"')
        else:
            digest.update(piece.encode())
    return digest.hexdigest()


def request_fingerprint_plain(payload: Mapping[str, Any]) -> str:
    """`request_fingerprint` the direct way, which it must always equal."""
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


# The ASCII characters json.dumps writes unescaped; from this length a string is hashed apart.
_JSON_AS_IS = bytes(c for c in range(0x20, 0x80) if c not in b'"\\')
_LONG_STRING = 4096


def _resolve_component(
    components: list[ComponentRequirement], ref: str
) -> ComponentRequirement | None:
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
    on_behalf: OnBehalf | None = None,
    on_created: Callable[[Dossier], None] | None = None,
) -> tuple[Dossier, bool]:
    """Create and submit a dossier in one go; a repeated key returns the first dossier.

    Either `user` (the signed-in account, which owns the dossier) or `client` (a client
    application with the dossiers.submit scope, submitting for `applicant`: the citizen's
    account is found or created by the personal ID number and owns the dossier, and
    `Dossier.submitted_by_client` names the client). Keys are scoped to the account or to
    the client. Returns (dossier, created). Bad input raises DossierError with messages per
    field, and nothing is stored, not even the key or the citizen, so a corrected retry may
    reuse the key.

    The signed-in citizen submits as themselves: the form's identity fields come from the
    account, and a form naming another person is refused on those fields; with `on_behalf`
    they hold the person represented, and the authorisation document comes as the
    attachment whose component is "authorisation" (`drafts.AUTHORISATION_SLOT`).

    `on_created(dossier)` runs in the dossier's transaction right after it is created (a
    caller's own row, e.g. the national portal's code): if it raises, nothing is kept.
    """
    if (user is None) == (client is None):
        raise ValueError("submit_via_api needs exactly one of user and client")
    if client is None and applicant is not None:
        raise errors.invalid(errors.APPLICANT_ONLY_FOR_CLIENTS, "applicant")
    if client is not None and on_behalf is not None:
        raise errors.invalid(errors.ON_BEHALF_ONLY_FOR_ACCOUNTS, "on_behalf")
    scope = {"client": client} if client is not None else {"owner": user}
    existing = _replayed(scope, key, fingerprint)
    if existing is not None:
        return existing, False
    # Input checked and files written before the transaction (no parsing or storage I/O
    # while the key and counter rows are locked); the files are removed if it fails.
    extra_errors: dict[str, str] = {}
    clean: _CleanApplicant | None = None
    represented: OnBehalf | None = None
    quiet: frozenset[str] = frozenset()
    # The citizen row is read once, here: the identity check, the filing and the dossier's
    # applicant fields all use this read, so they cannot disagree with each other.
    citizen: Any = None
    holder: Identity | None = None
    if client is not None:
        clean, extra_errors = _clean_applicant(applicant)
    else:
        citizen = _citizen(user)
        holder = account_identity(user, citizen)
        if on_behalf is not None:
            represented, extra_errors = clean_on_behalf(on_behalf, user=user, holder=holder)
        if not extra_errors:
            form, extra_errors = apply_identity(
                version, form, user=user, on_behalf=represented, prefix="form.", holder=holder
            )
        else:  # the identity fields wait for a valid declaration: no second message on them
            quiet = frozenset(identity_fields(version).values())
    authorisation = "refused"
    if represented is not None:
        authorisation = "required" if authorisation_required(represented) else "allowed"
    prepared = _check_api_input(
        version,
        form,
        delivery,
        delivery_address,
        attachments,
        agency,
        extra_errors,
        authorisation,
        quiet,
    )
    written = _write_api_files(prepared)
    stored = [item.file.name or "" for item in written]
    try:
        # The outbox messages (the IOC's refresh, the citizen's e-mail) are one INSERT at
        # the end of the block, still inside the transaction.
        with transaction.atomic(), outbox.batched():
            # The key is written with its dossier, before the day's counter (Lock order): a
            # concurrent request with the same key waits on it here and then replays.
            claim = _KeyClaim(key=key, request_hash=fingerprint, scope=scope)
            if client is not None and clean is not None:
                dossier = _channel_dossier(client, clean, prepared, written, claim)
                from tinhso.people.clients import audit_label

                _charge_new_dossier(dossier, actor=audit_label(client))
            else:
                assert holder is not None
                dossier = _api_dossier(
                    user, prepared, written, represented, claim, citizen=citizen, holder=holder
                )
                _charge_new_dossier(dossier, actor=user)
            if on_created is not None:
                on_created(dossier)
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


def _replayed(scope: Mapping[str, Any], key: str, fingerprint: str) -> Dossier | None:
    """The dossier a key already made, or None; a key made with another body is refused.

    Every submission asks this and nearly every answer is "no such key": the first read is
    the key's two columns, compiled once and run prepared (`tinhso.core.compiled_reads`;
    reading the key joined to its dossier, version, procedure and agency was a fifth of the
    submission's Python). Only a replay reads its dossier, as that join did."""
    (who, holder), *_rest = scope.items()
    found = compiled_reads.rows(
        f"dossiers.idempotency_key.{who}",
        IdempotencyKey,
        lambda m: compiled_reads.first_of(
            IdempotencyKey.objects.filter(key=m.text("key"), **{f"{who}_id": m.id("holder")})
        ).values_list("dossier_id", "request_hash"),
        {"key": key, "holder": holder.pk},
    )
    if not found or found[0][0] is None:
        return None
    dossier_id, request_hash = found[0]
    if request_hash != fingerprint:
        raise IdempotencyConflict(errors.IDEMPOTENCY_KEY_REUSED)
    return (
        Dossier.objects.filter(pk=dossier_id).select_related("version__procedure", "agency").first()
    )


@dataclass(frozen=True)
class _KeyClaim:
    key: str
    request_hash: str
    scope: Mapping[str, Any]

    def take(self, dossier: Dossier) -> None:
        inserts.insert(
            IdempotencyKey(
                key=self.key, request_hash=self.request_hash, dossier=dossier, **self.scope
            )
        )


@dataclass
class _ApiInput:
    version: ProcedureVersion
    agency: Agency
    form: dict[str, Any]
    delivery: str
    delivery_address: str
    # (component, name, bytes, kind); no component: the authorisation document
    files: list[tuple[ComponentRequirement | None, str, bytes, str]]


def _check_api_input(
    version: ProcedureVersion,
    form: Mapping[str, Any],
    delivery: str,
    delivery_address: str,
    attachments: list[Attachment],
    agency: Agency | None,
    extra_errors: Mapping[str, str],
    authorisation: str = "refused",
    quiet: frozenset[str] = frozenset(),
) -> _ApiInput:
    """`authorisation`: "required", "allowed" (a representative exempt from it) or "refused"
    (no filing on behalf), for the attachments in the authorisation slot; `quiet`: e-form
    fields whose own checks wait for another correction."""
    check_can_submit_online(version)
    chosen = agency_for(version, agency)
    cleaned, form_errors = eforms.validate(version.eform_schema, dict(form))
    problems = {
        **extra_errors,
        **{f"form.{k}": v for k, v in form_errors.items() if k not in quiet},
    }
    problems.update(delivery_errors(version, delivery, delivery_address))
    decoded: list[tuple[ComponentRequirement | None, str, bytes, str]] = []
    total = 0
    components = _components(version)
    for index, att in enumerate(attachments):
        is_authorisation = att.component == AUTHORISATION_SLOT
        component = None if is_authorisation else _resolve_component(components, att.component)
        if is_authorisation and authorisation == "refused":
            problems[f"attachments.{index}.component"] = str(
                errors.AUTHORISATION_NOT_ON_BEHALF.message
            )
            continue
        if component is None and not is_authorisation:
            problems[f"attachments.{index}.component"] = str(errors.UNKNOWN_COMPONENT.message)
            continue
        try:
            content = base64.b64decode(att.content_base64, validate=True)
        except ValueError:
            problems[f"attachments.{index}.content_base64"] = _("Nội dung tệp không phải base64.")
            continue
        try:
            kind = check_file(att.filename, content, already_in_dossier=total)
        except RejectedFile as exc:
            problems[f"attachments.{index}"] = exc.message
            continue
        total += len(content)
        decoded.append((component, normalize(att.filename)[:255] or "tep", content, kind))
    have = {c.pk if c else None for c, _, _, _ in decoded}
    if authorisation == "required" and None not in have:
        problems[f"attachments.{AUTHORISATION_SLOT}"] = str(errors.AUTHORISATION_REQUIRED.message)
    for component in components:
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


def _components(version: ProcedureVersion) -> list[ComponentRequirement]:
    """`version.components.all()`, compiled once and run prepared (`compiled_reads`), each
    component's `version` set to this one as the related manager does."""
    found = compiled_reads.objects(
        "dossiers.submission.components",
        ComponentRequirement,
        lambda m: ComponentRequirement.objects.filter(version_id=m.id("version")),
        {"version": version.pk},
    )
    cache = ComponentRequirement.version.field
    for component in found:
        cache.set_cached_value(component, version)
    return found


def _write_api_files(prepared: _ApiInput) -> list[DossierFile]:
    """The attachments' files, written before the dossier exists (`models._upload_to` names
    them without it); their rows are saved by `_store_api_dossier` in the transaction."""
    written: list[DossierFile] = []
    try:
        for component, name, content, kind in prepared.files:
            item = DossierFile(
                component=component,
                slot=DossierFile.Slot.COMPONENT if component else DossierFile.Slot.AUTHORISATION,
                original_name=name,
                kind=kind,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
            )
            item.file.name = _store_first(item, name, content)
            written.append(item)
    except BaseException:
        _forget([item.file.name or "" for item in written])
        raise
    return written


def _store_api_dossier(dossier: Dossier, written: list[DossierFile]) -> None:
    for item in written:
        item.dossier = dossier
        inserts.insert(item)


def _submit_new(
    dossier: Dossier,
    claim: _KeyClaim,
    written: list[DossierFile],
    *,
    user: Any,
    extra: Mapping[str, Any] | None = None,
) -> Dossier:
    """Write the API's new dossier (`_new_api_dossier`, its filer set) with the submission's
    fields, then its key and files, and finish its submission. Inserted as a bare draft and
    then submitted, the row was written twice in full, and compiling that UPDATE of every
    column was a tenth of the submission's Python: now the row is a draft only until its
    code, which comes from the day's counter last (Lock order), is written with its state.
    The audit record's changes are the same: taken from the same values, before the
    submission's fields are set."""
    marked = _mark_submitted(dossier)
    inserts.insert(dossier)
    claim.take(dossier)
    _store_api_dossier(dossier, written)
    event = _finish_submission(dossier, user=user, extra=extra, marked=marked)
    dossier._submission_event = event  # type: ignore[attr-defined]  # see submission_event
    return dossier


def submission_event(dossier: Dossier) -> DossierEvent | None:
    """The event of the submission this very instance has just made through the API, else
    None: its whole history then, as no other transaction had seen the dossier (the API's
    answer shows it without reading the events back)."""
    return getattr(dossier, "_submission_event", None)


def _new_api_dossier(prepared: _ApiInput, **values: Any) -> Dossier:
    """The API's new dossier, not saved yet (`_submit_new` writes it)."""
    version = prepared.version
    return Dossier(
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


def _api_dossier(
    user: Any,
    prepared: _ApiInput,
    written: list[DossierFile],
    on_behalf: OnBehalf | None,
    claim: _KeyClaim,
    *,
    citizen: Any,
    holder: Identity,
) -> Dossier:
    """`citizen`, `holder`: the citizen row (or None) and `account_identity` of it, read
    once by the caller."""
    dossier = _new_api_dossier(
        prepared,
        owner=user,
        applicant_name=(citizen.full_name if citizen else "") or user.display_name,
        applicant_phone=(citizen.phone if citizen else "") or (user.phone or ""),
        applicant_email=(citizen.email if citizen else "") or user.email,
        applicant_address=citizen.address if citizen else "",
    )
    set_filing(dossier, on_behalf, user=user, holder=holder)
    return _submit_new(dossier, claim, written, user=user)


def _channel_dossier(
    client: Any,
    applicant: _CleanApplicant,
    prepared: _ApiInput,
    written: list[DossierFile],
    claim: _KeyClaim,
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
        applicant_personal_id=applicant.personal_id,
        applicant_name=applicant.full_name,
        applicant_phone=applicant.phone,
        applicant_email=applicant.email,
        applicant_address=applicant.address,
    )
    return _submit_new(
        dossier,
        claim,
        written,
        user=audit_label(client),
        extra={
            "submitted_by_client": [None, client.name],
            "owner": [None, owner.get_username()],
        },
    )


MAX_REASON = 1000


def withdraw(dossier: Dossier, *, user: Any, reason: str = "") -> Dossier:
    """Rút hồ sơ: only while it waits for reception."""
    _owned(dossier, user)
    note = normalize(reason)
    if len(note) > MAX_REASON:  # refused whole, never cut short
        raise errors.invalid(
            errors.REASON_TOO_LONG, "reason", limit=f"{MAX_REASON:,}".replace(",", ".")
        )
    with transaction.atomic():
        locked = _locked(dossier)
        if not locked.can_be_withdrawn():
            raise DossierError(errors.TOO_LATE_TO_WITHDRAW)
        before = audit.snapshot(locked, ["state"])
        locked.state = Dossier.State.WITHDRAWN
        locked.save(update_fields=["state", "updated_at"])
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
        _ioc_changed(locked.pk)  # the IOC's rollups count ratings (5.4)
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
        sent = {k: v for k, v in (data or {}).items() if k in request.fields}
        merged.update(sent)
        cleaned, problems = eforms.validate(locked.version.eform_schema, merged)
        # a corrected identity field still names the applicant the dossier was filed for
        _filled, identity = apply_identity(
            locked.version, sent, user=user, on_behalf=declaration(locked)
        )
        problems.update({k: v for k, v in identity.items() if k in sent})
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
