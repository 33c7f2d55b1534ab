"""Drafts (bản nháp): start, declare who files, save the e-form, attach files (uploads or the
citizen's data store, Decree 45/2020), choose delivery, discard. Decree 42/2022 (online
submission).

Who files (docs/dossiers.md, "Who files"): Decree 118/2025/NĐ-CP lets a dossier be filed
through an authorised person, and the Civil Code 2015 (Art. 138-143) says authorisation is
given by the person represented; Art. 136 makes parents the legal representatives of their
minor children. So a signed-in citizen files as themselves, and the applicant's identity in
the e-form (the fields the form prefills from `citizen.full_name`, `citizen.personal_id`,
and the account's verified phone and e-mail) comes from the account and is never taken from
the input. Filing for someone else is declared (`OnBehalf`), names the person represented,
who becomes the dossier's applicant, and needs an authorisation document in the dossier's
authorisation slot, unless the filer states a relation of legal representative of a minor
(`representative_relations`, UNCONFIRMED list).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from tinhso.catalogue import eforms
from tinhso.catalogue.models import ComponentRequirement, ProcedureVersion
from tinhso.core import audit
from tinhso.core.identifiers import InvalidIdentifier, normalize_phone, validate_personal_id
from tinhso.core.text import normalize
from tinhso.dossiers import errors
from tinhso.dossiers.actions._common import (
    _citizen,
    _editable,
    _forget,
    _locked,
    _owned,
    _store_first,
    agency_for,
    check_can_submit_online,
)
from tinhso.dossiers.datastore import store_for
from tinhso.dossiers.errors import DossierError
from tinhso.dossiers.models import (
    Dossier,
    DossierFile,
)
from tinhso.dossiers.uploads import check_file, check_room
from tinhso.places.models import Agency


def start_draft(version: ProcedureVersion, *, user: Any, agency: Agency | None = None) -> Dossier:
    """A new draft for `version`, its e-form prefilled from the citizen's account and their
    data store (`datastore.prefill`: the store's documents it read are recorded as the
    citizen's own use, in this transaction)."""
    from tinhso.datastore import prefill

    check_can_submit_online(version)
    chosen = agency_for(version, agency)
    citizen = _citizen(user)
    holder = account_identity(user)
    filled = prefill.resolve(
        version.eform_schema or {}, version.eform_layout, user, citizen=citizen
    )
    with transaction.atomic():
        dossier = Dossier.objects.create(
            version=version,
            agency=chosen,
            owner=user,
            filed_by=user,
            filer_name=holder.full_name or user.display_name,
            applicant_personal_id=holder.personal_id,
            applicant_name=(citizen.full_name if citizen else "") or user.display_name,
            applicant_phone=(citizen.phone if citizen else "") or (user.phone or ""),
            applicant_email=(citizen.email if citizen else "") or user.email,
            applicant_address=citizen.address if citizen else "",
            form_data=filled.values,
            fee_total=version.total_fee,
            fee_status=Dossier.FeeStatus.UNPAID if version.total_fee else Dossier.FeeStatus.NONE,
        )
        audit.record(
            "dossier.draft_started",
            dossier,
            actor=user,
            changes={"version": [None, version.pk], "agency": [None, chosen.code]},
        )
        prefill.record_use(dossier, filled, user=user)
    return dossier


# --- who files -------------------------------------------------------------------------------
AUTHORISATION_SLOT = "authorisation"  # the API's `attachments[].component` for the document
# Relations of a legal representative of a minor (Civil Code 2015 Art. 136-137: parents;
# Art. 46-59: guardians) who need no authorisation document. UNCONFIRMED against Decree
# 118/2025 and each procedure's text: settings.DOSSIER_REPRESENTATIVE_RELATIONS replaces it.
# The relations are stored and compared in Vietnamese (data, hence gettext_noop); the page
# shows each with its translated label.
PARENT = gettext_noop("cha/mẹ")
GUARDIAN = gettext_noop("người giám hộ")
AUTHORISED = gettext_noop("người được ủy quyền")
DEFAULT_REPRESENTATIVE_RELATIONS = (PARENT, GUARDIAN)
# What the page offers; the API takes any relation in words.
RELATION_CHOICES = (
    (PARENT, gettext_lazy("cha/mẹ")),
    (GUARDIAN, gettext_lazy("người giám hộ")),
    (AUTHORISED, gettext_lazy("người được ủy quyền")),
)
ADULT_AGE = 18  # Civil Code 2015 Art. 20
# The e-form fields that carry the applicant's identity are those prefilled from these
# account attributes (`Identity`'s), by the layout or by the prefill table
# (`datastore.prefill.mapping`).
IDENTITY_ATTRIBUTES = ("full_name", "personal_id", "phone", "email")


@dataclass(frozen=True)
class OnBehalf:
    """Nộp thay: the person represented (who becomes the applicant) and the filer's relation
    to them, as declared on the page or in the API's `on_behalf`."""

    full_name: str
    personal_id: str
    relation: str


@dataclass(frozen=True)
class Identity:
    """The account holder's identity as the account vouches for it; "" where it has none."""

    full_name: str
    personal_id: str
    phone: str
    email: str


# `account_identity`'s "read the citizen row yourself" (None is a real answer: no row).
UNREAD: Any = object()


def account_identity(user: Any, citizen: Any = UNREAD) -> Identity:
    """Name and personal ID from the citizen record (VNeID, the counter, the population
    data); phone and e-mail only as the account holds them, each confirmed by a one-time
    code or the identity provider. A caller that already read the citizen row (or None)
    passes it, so that one submission reads it once."""
    if citizen is UNREAD:
        citizen = _citizen(user)
    return Identity(
        full_name=normalize((citizen.full_name if citizen else "") or user.full_name or ""),
        personal_id=citizen.personal_id if citizen else "",
        phone=user.phone or "",
        email=(user.email or "").strip().lower(),
    )


def _relation_key(value: str) -> str:
    return unicodedata.normalize("NFC", " ".join((value or "").split())).casefold()


def representative_relations() -> tuple[str, ...]:
    configured = getattr(settings, "DOSSIER_REPRESENTATIVE_RELATIONS", None)
    chosen = DEFAULT_REPRESENTATIVE_RELATIONS if configured is None else configured
    return tuple(_relation_key(r) for r in chosen if str(r).strip())


def authorisation_required(on_behalf: OnBehalf, *, on: date | None = None) -> bool:
    """An authorisation document is needed unless the filer states a legal representative's
    relation and the person represented is a minor on `on` (today; a submitted dossier's
    day of submission). Adult at 18 (Civil Code Art. 20); the personal ID gives only the
    birth year, so a person is a minor only if they cannot be 18 yet: born fewer than 18
    calendar years before. Someone born exactly 18 years before may still be 17 on `on`;
    they attach the authorisation (or the officer sees the birth papers) rather than a
    possible adult passing without one."""
    if _relation_key(on_behalf.relation) not in representative_relations():
        return True
    try:
        born = validate_personal_id(on_behalf.personal_id).birth_year
    except InvalidIdentifier:
        return True
    return (on or timezone.localdate()).year - born >= ADULT_AGE


def authorisation_required_for(dossier: Dossier) -> bool:
    """`authorisation_required` for a dossier filed on behalf, as on its day of submission."""
    declared = declaration(dossier)
    if declared is None:
        return False
    day = timezone.localdate(dossier.submitted_at) if dossier.submitted_at else None
    return authorisation_required(declared, on=day)


def clean_on_behalf(
    on_behalf: OnBehalf,
    *,
    user: Any,
    prefix: str = "on_behalf.",
    holder: Identity | None = None,
) -> tuple[OnBehalf | None, dict[str, str]]:
    """The declaration checked field by field (`prefix` + name, personal_id, relation);
    `holder`: the account's identity when the caller has it (`account_identity`)."""
    problems: dict[str, str] = {}
    name = normalize(on_behalf.full_name)
    if not name:
        problems[f"{prefix}name"] = str(errors.ON_BEHALF_NAME_REQUIRED.message)
    elif len(name) > 200:
        problems[f"{prefix}name"] = _("Họ và tên dài quá 200 ký tự.")
    number = ""
    try:
        number = validate_personal_id(on_behalf.personal_id).number
    except InvalidIdentifier as exc:
        problems[f"{prefix}personal_id"] = exc.message
    if number and number == (holder or account_identity(user)).personal_id:
        problems[f"{prefix}personal_id"] = str(errors.ON_BEHALF_IS_ACCOUNT_HOLDER.message)
    relation = normalize(on_behalf.relation)
    if not relation:
        problems[f"{prefix}relation"] = str(errors.ON_BEHALF_RELATION_REQUIRED.message)
    elif len(relation) > 100:
        problems[f"{prefix}relation"] = _("Quan hệ dài quá 100 ký tự.")
    if problems:
        return None, problems
    return OnBehalf(name, number, relation), {}


def identity_fields(version: ProcedureVersion) -> dict[str, str]:
    """`Identity` attribute → the e-form field that carries it: the field the form prefills
    with that attribute of the account, by the layout's own `prefill` or by the prefill
    table (`datastore.prefill.mapping`, the same one `start_draft` fills the form from). A
    field filled from the account is one the account vouches for, so it is also the one
    locked and checked against the account or the declaration."""
    from tinhso.datastore import prefill

    schema = version.eform_schema or {}
    found: dict[str, str] = {}
    for name, source in prefill.mapping(schema, version.eform_layout).items():
        attribute = source.attribute
        if source.origin == prefill.PROFILE and attribute in IDENTITY_ATTRIBUTES:
            found.setdefault(attribute, name)
    return found


def expected_identity(
    user: Any, on_behalf: OnBehalf | None, holder: Identity | None = None
) -> dict[str, str]:
    """What the identity fields must hold: the account's values when filing for oneself
    (the personal ID always, even "" for an account without one), the declared person's
    name and number when filing on behalf (their contacts are the filer's to give)."""
    if on_behalf is not None:
        return {"full_name": on_behalf.full_name, "personal_id": on_behalf.personal_id}
    holder = holder or account_identity(user)
    wanted = {"personal_id": holder.personal_id}
    for attribute in ("full_name", "phone", "email"):
        value = getattr(holder, attribute)
        if value:
            wanted[attribute] = value
    return wanted


def _same(attribute: str, given: Any, wanted: str) -> bool:
    text = str(given)
    if attribute == "full_name":
        return _relation_key(text) == _relation_key(wanted)
    if attribute == "personal_id":
        return "".join(text.split()) == wanted
    if attribute == "phone":
        try:
            return normalize_phone(text) == normalize_phone(wanted)
        except InvalidIdentifier:
            return False
    return text.strip().lower() == wanted.lower()


def locked_identity(
    version: ProcedureVersion, user: Any, on_behalf: OnBehalf | None
) -> dict[str, str]:
    """Field name → the value it must hold (what the page shows instead of an input)."""
    wanted = expected_identity(user, on_behalf)
    return {name: wanted[a] for a, name in identity_fields(version).items() if a in wanted}


def apply_identity(
    version: ProcedureVersion,
    data: Mapping[str, Any],
    *,
    user: Any,
    on_behalf: OnBehalf | None,
    prefix: str = "",
    holder: Identity | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The e-form answers with the identity fields set from the account (or the declared
    person), and a message per field whose input named someone else. An identity field
    left empty is filled; one that names another person is refused, never kept."""
    wanted = expected_identity(user, on_behalf, holder)
    schema = version.eform_schema or {}
    required = set(schema.get("required", []))
    out = dict(data)
    problems: dict[str, str] = {}
    for attribute, name in identity_fields(version).items():
        if attribute not in wanted:
            continue
        value = wanted[attribute]
        given = data.get(name)
        empty = given is None or (isinstance(given, str) and not given.strip())
        if not empty and not _same(attribute, given, value):
            if on_behalf is not None:
                problems[prefix + name] = str(errors.ON_BEHALF_MISMATCH.message)
            elif attribute == "personal_id" and not value:
                problems[prefix + name] = str(errors.NO_VERIFIED_PERSONAL_ID.message)
            else:
                problems[prefix + name] = str(errors.APPLICANT_NOT_ACCOUNT_HOLDER.message)
        elif empty and not value and name in required:
            # self-filing from an account that holds no verified personal ID
            problems[prefix + name] = str(errors.NO_VERIFIED_PERSONAL_ID.message)
        if value:
            out[name] = value
        else:
            out.pop(name, None)
    return out, problems


def declaration(dossier: Dossier) -> OnBehalf | None:
    """The declaration stored on a draft or dossier (None: filed by the holder themselves)."""
    if not dossier.is_on_behalf:
        return None
    return OnBehalf(
        dossier.applicant_name, dossier.applicant_personal_id, dossier.on_behalf_relation
    )


FILING_FIELDS = [
    "filing",
    "applicant_name",
    "applicant_personal_id",
    "on_behalf_relation",
    "filed_by_id",
    "filer_name",
]
FILING_COLUMNS = [
    "filing",
    "applicant_name",
    "applicant_personal_id",
    "on_behalf_relation",
    "filed_by",
    "filer_name",
]


def set_filing(
    dossier: Dossier, on_behalf: OnBehalf | None, *, user: Any, holder: Identity | None = None
) -> None:
    """Write who files on the (locked) row; the caller saves and audits."""
    holder = holder or account_identity(user)
    dossier.filed_by = user
    dossier.filer_name = holder.full_name or user.display_name
    if on_behalf is None:
        dossier.filing = Dossier.Filing.SELF
        dossier.applicant_name = holder.full_name or user.display_name
        dossier.applicant_personal_id = holder.personal_id
        dossier.on_behalf_relation = ""
    else:
        dossier.filing = Dossier.Filing.ON_BEHALF
        dossier.applicant_name = on_behalf.full_name
        dossier.applicant_personal_id = on_behalf.personal_id
        dossier.on_behalf_relation = on_behalf.relation


# Where `declare_filing` leaves, on the caller's dossier object, the prefilled values it
# withdrew (field → value), for `save_form` on the same object (`_still_withdrawn`).
WITHDRAWN_PREFILL = "withdrawn_prefill"


def _filers_prefill(dossier: Dossier, user: Any) -> dict[str, Any]:
    """The fields of the draft's form still holding what `start_draft` prefilled from the
    filer's own account and data store (field → value), as `prefill.sources` tells them
    apart: a value the filer changed is theirs and not listed."""
    from tinhso.datastore import prefill

    version = dossier.version
    found = prefill.resolve(version.eform_schema or {}, version.eform_layout, user)
    data = dossier.form_data or {}
    return {
        name: item.value
        for name, item in found.fields.items()
        if name in data and str(data[name]) == str(item.value)
    }


def declare_filing(dossier: Dossier, on_behalf: OnBehalf | None, *, user: Any) -> dict[str, Any]:
    """Tự nộp / nộp thay on a draft. A change of the person filed for (name or personal ID,
    including back to oneself) removes any authorisation document attached meanwhile: it
    names the previous person, and would otherwise satisfy the check for the new one.

    Filing on behalf of someone else (from filing for oneself) withdraws what the form was
    prefilled with from the filer's account and data store and still holds as prefilled
    (their birth date, card number, address...: the filer's data, not the applicant's, and
    labelled "Lấy từ tài khoản / kho dữ liệu"); a value the filer changed stays. Returns the
    values withdrawn (field → value), also left on `dossier` for `save_form`: the page posts
    the declaration with the form, whose inputs still hold them."""
    _owned(dossier, user)
    clean: OnBehalf | None = None
    if on_behalf is not None:
        clean, problems = clean_on_behalf(on_behalf, user=user)
        if problems:
            raise errors.invalid_input(problems)
    # read before the transaction (the account and the store: reads only)
    filers = _filers_prefill(dossier, user) if clean is not None else {}
    withdrawn: dict[str, Any] = {}
    with transaction.atomic():
        locked = _locked(dossier)
        if locked.state != Dossier.State.DRAFT:
            raise DossierError(errors.NOT_EDITABLE)
        was_on_behalf = locked.is_on_behalf
        before = audit.snapshot(locked, FILING_FIELDS)
        set_filing(locked, clean, user=user)
        after = audit.snapshot(locked, FILING_FIELDS)
        dropped: list[DossierFile] = []
        if any(before[k] != after[k] for k in ("applicant_name", "applicant_personal_id")):
            dropped = locked.authorisation_files()
        changes = audit.diff(before, after)
        if dropped:
            changes["authorisation"] = [[f.original_name for f in dropped], None]
        columns = [*FILING_COLUMNS, "updated_at"]
        if clean is not None and not was_on_behalf:
            data = dict(locked.form_data or {})
            withdrawn = {
                name: value
                for name, value in filers.items()
                if name in data and str(data[name]) == str(value)  # still so under the lock
            }
            if withdrawn:
                for name in withdrawn:
                    del data[name]
                locked.form_data = data
                columns.append("form_data")
                # the fields only: the values are the filer's personal data
                changes["prefill_withdrawn"] = [sorted(withdrawn), None]
        if changes:
            locked.save(update_fields=columns)
            for item in dropped:
                item.delete()
            names = [f.file.name or "" for f in dropped]
            transaction.on_commit(lambda: _forget(names))
            audit.record("dossier.filing_declared", locked, actor=user, changes=changes)
    dossier.refresh_from_db()
    setattr(dossier, WITHDRAWN_PREFILL, withdrawn)
    return withdrawn


def _still_withdrawn(dossier: Dossier, data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` without the values `declare_filing` just withdrew from this same dossier
    object that come back unchanged (the inputs of the page that posted the declaration);
    a value typed instead is kept. Once: a later save keeps whatever the filer gives."""
    withdrawn: dict[str, Any] = vars(dossier).pop(WITHDRAWN_PREFILL, None) or {}
    if not withdrawn or not dossier.is_on_behalf:
        return dict(data)
    return {
        name: value
        for name, value in data.items()
        if not (name in withdrawn and str(value) == str(withdrawn[name]))
    }


# The longest invalid answer kept for correction when the e-form sets no maxLength.
MAX_KEPT_TEXT = 2000


def save_form(dossier: Dossier, data: Mapping[str, Any], *, user: Any) -> dict[str, str]:
    """Keep what the citizen typed; return the Vietnamese message per invalid field."""
    _owned(dossier, user)
    _editable(dossier)
    schema = dossier.version.eform_schema
    data = _still_withdrawn(dossier, data)
    # the applicant's identity from the account or the declaration, never another person's
    filled, identity = apply_identity(
        dossier.version, data, user=user, on_behalf=declaration(dossier)
    )
    cleaned, problems = eforms.validate(schema, filled)
    problems.update(identity)
    kept = dict(cleaned)
    fields = schema.get("properties", {}) if isinstance(schema, dict) else {}
    for name in problems:  # keep what was typed so the citizen can correct it...
        value = filled.get(name)
        declared = fields.get(name)
        limit = (declared if isinstance(declared, dict) else {}).get("maxLength", MAX_KEPT_TEXT)
        # ...unless it is longer than the field allows: that is not a typo to correct, and it
        # would be stored (and audited) whole
        if isinstance(value, str) and isinstance(limit, int) and len(value) <= limit:
            kept[name] = normalize(value)
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
    """Add one file to a component; RejectedFile (nothing saved) when its content is refused.

    The content is checked and the file written before the transaction (no parsing or
    storage I/O under the dossier's lock); the transaction re-checks what may have changed
    meanwhile (still editable, the component, the dossier's total) and records the row. If
    it fails, the file just written is removed.
    """
    return _attach(dossier, component_id, name, content, user=user)


def attach_authorisation(dossier: Dossier, name: str, content: bytes, *, user: Any) -> DossierFile:
    """Add the authorisation document (giấy ủy quyền) of a dossier filed on behalf, in its own
    slot; refused on a dossier the holder files for themselves. Checked and stored as
    `attach_file` does."""
    return _attach(dossier, None, name, content, user=user)


def _check_slot(dossier: Dossier, component_id: int | None) -> ComponentRequirement | None:
    if component_id is not None:
        return _component(dossier, component_id)
    if not dossier.is_on_behalf:
        raise errors.invalid(errors.AUTHORISATION_NOT_ON_BEHALF, AUTHORISATION_SLOT)
    return None


def _attach(
    dossier: Dossier, component_id: int | None, name: str, content: bytes, *, user: Any
) -> DossierFile:
    _owned(dossier, user)
    name = normalize(name)[:255] or "tep"
    current = Dossier.objects.get(pk=dossier.pk)  # a fresh read, no lock: refuse early
    _editable(current)
    _check_slot(current, component_id)
    kind = check_file(name, content, already_in_dossier=_dossier_bytes(current))
    item = DossierFile(
        dossier=dossier,
        original_name=name,
        kind=kind,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    stored = _store_first(item, name, content)
    try:
        with transaction.atomic():
            locked = _locked(dossier)
            _editable(locked)
            component = _check_slot(locked, component_id)
            check_room(name, len(content), already_in_dossier=_dossier_bytes(locked))
            item.dossier = locked
            item.component = component
            if component is None:
                item.slot = DossierFile.Slot.AUTHORISATION
            item.supplement = locked.open_supplement()
            item.file.name = stored
            item.save()
            audit.record(
                "dossier.file_attached",
                locked,
                actor=user,
                changes={
                    "file": [
                        None,
                        {
                            "component": component.pk if component else AUTHORISATION_SLOT,
                            "name": name,
                            "sha256": item.sha256,
                        },
                    ]
                },
            )
    except BaseException:
        _forget([stored])
        raise
    return item


def attach_from_datastore(
    dossier: Dossier, component_id: int, ref: str, *, user: Any
) -> DossierFile:
    """Point a component to a document already in the citizen's data store (ND 45/2020):
    by reference, no upload and no copy of the file (`from_stored`, and `from_result` when
    it is an earlier result), marked reused (DuocTaiSuDung). Only the owner's own, unexpired
    documents offered for that component (`datastore.matches`) can be chosen: another
    citizen's ref is UNKNOWN_STORED_DOCUMENT (the page answers 404) and changes nothing."""
    _owned(dossier, user)
    store = store_for(user)
    row, result = store.resolve(ref)
    if row is None and result is None:
        raise errors.invalid(errors.UNKNOWN_STORED_DOCUMENT, "ref")
    component = _component(dossier, component_id)
    if not any(d.ref == ref for d in store.offers([component])[component.pk]):
        raise errors.invalid(errors.STORED_DOCUMENT_NOT_FOR_COMPONENT, "ref")
    return _attach_stored(dossier, component, ref, row, result, actor=user)


def _attach_stored(
    dossier: Dossier, component: Any, ref: str, row: Any, result: Any, *, actor: Any
) -> DossierFile:
    """The file row pointing to `row` (a StoredDocument) and/or `result`, in one
    transaction with its audit record."""
    with transaction.atomic():
        locked = _locked(dossier)
        _editable(locked)
        component = _component(locked, component.pk)
        same = locked.files.filter(component=component)
        if (row is not None and same.filter(from_stored=row).exists()) or (
            result is not None and same.filter(from_result=result).exists()
        ):
            raise errors.invalid(errors.STORED_DOCUMENT_CHOSEN, "ref")
        source = row if row is not None else result
        item = DossierFile.objects.create(
            dossier=locked,
            component=component,
            original_name=(str(row) if row is not None else result.name)[:255],
            kind=row.file_kind if row is not None else result.kind,
            size=0,  # not a new upload: it does not count against the dossier's size limit
            sha256=source.sha256,
            file=source.file.name,
            from_result=result,
            from_stored=row,
            reused=True,
            supplement=locked.open_supplement(),
        )
        audit.record(
            "dossier.file_from_datastore",
            locked,
            actor=actor,
            changes={"file": [None, {"component": component.pk, "ref": ref}]},
        )
    return item


def _by_reference(item: DossierFile) -> bool:
    """The file belongs to a result or to the citizen's store, not to this dossier: removing
    the dossier's file never deletes it."""
    return item.from_result_id is not None or item.from_stored_id is not None


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
        stored = item.file.name if not _by_reference(item) else ""
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
    problems.update(filing_errors(dossier))
    problems.update(delivery_errors(dossier.version, dossier.delivery, dossier.delivery_address))
    return problems


def filing_errors(dossier: Dossier) -> dict[str, str]:
    """Who files, checked again at submission: the identity fields of the saved form (a
    draft saved before the rule, or an account changed since) and the authorisation slot."""
    on_behalf = declaration(dossier)
    _filled, problems = apply_identity(
        dossier.version, dossier.form_data, user=dossier.owner, on_behalf=on_behalf
    )
    has_authorisation = bool(dossier.authorisation_files())
    if on_behalf is not None and authorisation_required(on_behalf) and not has_authorisation:
        problems[AUTHORISATION_SLOT] = str(errors.AUTHORISATION_REQUIRED.message)
    if on_behalf is None and has_authorisation:
        problems[AUTHORISATION_SLOT] = str(errors.AUTHORISATION_NOT_ON_BEHALF.message)
    return problems


def discard_draft(dossier: Dossier, *, user: Any) -> None:
    """Xóa bản nháp: the draft and its uploaded files go; nothing was submitted."""
    _owned(dossier, user)
    with transaction.atomic():
        locked = _locked(dossier)
        if locked.state != Dossier.State.DRAFT:
            raise DossierError(errors.NOT_A_DRAFT)
        names = [f.file.name or "" for f in locked.files.all() if not _by_reference(f)]
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
