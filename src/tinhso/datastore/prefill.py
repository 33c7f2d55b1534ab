"""E-form prefill from what tinhso already holds about the citizen (điền sẵn tờ khai): their
account (profile) and the valid documents of their data store, each value with its source in
the citizen's words.

Legal sources: Decree 45/2020/NĐ-CP (art. 2 and 16: the state does not ask again for data
it holds; an e-form is filled from the citizen's store and the national databases, "tái sử
dụng dữ liệu"); Decree 42/2022/NĐ-CP (every online service has an e-form); Decree
13/2023/NĐ-CP and the Law on Personal Data Protection 2025 (a stored document is personal
data: reading it to fill the citizen's own form is recorded as the owner's use, not as an
official's read). Which e-form field takes which datum is not set by any text we read
[UNCONFIRMED]: it is the one table below (`FIELD_SOURCES`), extended or overridden by
`TINHSO_DATASTORE_PREFILL_FIELDS` and, per procedure, by the e-form layout's `prefill`
(docs/datastore.md, "E-form prefill").

A source is written as text:
- `citizen.<attribute>`: the account's full_name, date_of_birth, personal_id, address (the
  contact address of the account page, else the citizen record's), phone, email ("Lấy từ
  tài khoản");
- `store.<KIND>[,<KIND>...].<attribute>`: of the citizen's valid stored documents of the
  first of those kinds (document kind codes, `DocumentKind.code`) that has one, the most
  trusted (an agency's verified signature, then an officer's certified copy, then none) and
  then the newest: its number, issuer, issued_on or expires_on ("Lấy từ kho dữ liệu: <kind>,
  số <number>").
A value that the field would refuse (a pattern, a length, a date bound) is not prefilled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.catalogue import eforms

PROFILE = "citizen"
STORE = "store"
PROFILE_ATTRIBUTES = ("full_name", "date_of_birth", "personal_id", "address", "phone", "email")
DOCUMENT_ATTRIBUTES = ("number", "issuer", "issued_on", "expires_on")

# The one table: e-form field name → where its value comes from. The applicant's fields are
# the names the catalogue's e-forms use (catalogue/demo.py `_APPLICANT`); the document fields
# are the names an administrator gives a field that asks for a paper's number or date.
FIELD_SOURCES: dict[str, str] = {
    # the applicant, from the account
    "applicant_name": "citizen.full_name",
    "applicant_id": "citizen.personal_id",
    "applicant_birth_date": "citizen.date_of_birth",
    "applicant_phone": "citizen.phone",
    "applicant_email": "citizen.email",
    "applicant_address": "citizen.address",
    # the applicant's identity card (the 2024 thẻ căn cước first, then the older CCCD)
    "applicant_id_card_number": "store.CANCUOC,CCCD.number",
    "applicant_id_issued_on": "store.CANCUOC,CCCD.issued_on",
    "applicant_id_issuer": "store.CANCUOC,CCCD.issuer",
    "applicant_id_expires_on": "store.CANCUOC,CCCD.expires_on",
    "applicant_passport_number": "store.HOCHIEU.number",
    "applicant_passport_issued_on": "store.HOCHIEU.issued_on",
    "applicant_passport_expires_on": "store.HOCHIEU.expires_on",
    # papers the applicant holds
    "birth_certificate_number": "store.GKS.number",
    "birth_certificate_issued_on": "store.GKS.issued_on",
    "marriage_certificate_number": "store.GCNKH.number",
    "marriage_certificate_issued_on": "store.GCNKH.issued_on",
    "criminal_record_number": "store.LLTP.number",
    "land_certificate_number": "store.GCN-QSDD.number",
    "land_certificate_issued_on": "store.GCN-QSDD.issued_on",
    "land_certificate_issuer": "store.GCN-QSDD.issuer",
    "business_registration_number": "store.GCN-DKDN.number",
    "business_registration_issued_on": "store.GCN-DKDN.issued_on",
    "construction_permit_number": "store.GPXD.number",
    "driving_licence_number": "store.GPLX.number",
    "degree_number": "store.BANG-TN.number",
}


@dataclass(frozen=True)
class Source:
    """A parsed source: the account's `attribute`, or that of a stored document of `kinds`."""

    origin: str  # PROFILE or STORE
    attribute: str
    kinds: tuple[str, ...] = ()
    # set by the procedure's own layout: taken as it is, as `eforms.prefill` always did (a
    # value the field refuses is then said beside it when the form is saved)
    declared: bool = False


def parse(text: str) -> Source | None:
    """`citizen.<attribute>` or `store.<KIND>[,<KIND>].<attribute>`; None when not one."""
    text = str(text or "").strip()
    if text.startswith(f"{PROFILE}."):
        attribute = text.removeprefix(f"{PROFILE}.")
        return Source(PROFILE, attribute) if attribute in PROFILE_ATTRIBUTES else None
    if text.startswith(f"{STORE}."):
        kinds_text, _sep, attribute = text.removeprefix(f"{STORE}.").rpartition(".")
        kinds = tuple(k.strip() for k in kinds_text.split(",") if k.strip())
        if kinds and attribute in DOCUMENT_ATTRIBUTES:
            return Source(STORE, attribute, kinds)
    return None


def configured() -> dict[str, str]:
    """`FIELD_SOURCES` with `TINHSO_DATASTORE_PREFILL_FIELDS` over it (a JSON object of field
    name → source; an empty source removes the field). A setting that is not such an object,
    or a source that does not parse, is ignored: prefill is a convenience, never a reason
    for a form not to open (docs/datastore.md)."""
    table = dict(FIELD_SOURCES)
    raw = str(getattr(settings, "DATASTORE_PREFILL_FIELDS", "") or "").strip()
    if not raw:
        return table
    try:
        extra = json.loads(raw)
    except ValueError:
        return table
    if not isinstance(extra, dict):
        return table
    for name, source in extra.items():
        if not source:
            table.pop(str(name), None)
        elif parse(str(source)) is not None:
            table[str(name)] = str(source)
    return table


def mapping(schema: dict[str, Any], layout: dict[str, Any] | None) -> dict[str, Source]:
    """Each field of the form that has a source: the layout's `prefill` (per procedure,
    edited by administrators) first, then the configured table."""
    properties = (schema or {}).get("properties", {})
    own = (layout or {}).get("prefill", {})
    own = own if isinstance(own, dict) else {}
    table = configured()
    found: dict[str, Source] = {}
    for name in properties:
        if name in own:
            text = str(own[name])
            if text.startswith(f"{PROFILE}.") and len(text) > len(PROFILE) + 1:
                # any attribute path of the citizen record, as `eforms.prefill` reads it
                found[name] = Source(PROFILE, text.removeprefix(f"{PROFILE}."), declared=True)
            continue
        source = parse(table.get(name, ""))
        if source is not None:
            found[name] = source
    return found


@dataclass(frozen=True)
class Prefilled:
    """One prefilled field: the value the form gets, its source in words, and the stored
    document it was read from (None for the account)."""

    value: Any
    label: str
    document_id: int | None = None


@dataclass
class Prefill:
    """What a new form starts with: values by field, and which stored documents were read."""

    fields: dict[str, Prefilled] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, Any]:
        return {name: item.value for name, item in self.fields.items()}

    def documents(self) -> dict[int, list[str]]:
        """Stored document id → the fields it filled."""
        used: dict[int, list[str]] = {}
        for name, item in self.fields.items():
            if item.document_id is not None:
                used.setdefault(item.document_id, []).append(name)
        return used


# The most trusted first: an agency's verified signature, an officer's certified copy, none.
_TRUST = {"agency_verified": 0, "certified_copy": 1, "none": 2}


def _documents(citizen: Any, kinds: set[str], today: date) -> dict[str, Any]:
    """Per kind code, the citizen's best valid document of it: one query."""
    from django.db.models import Q

    from tinhso.datastore.models import StoredDocument

    if citizen is None or not kinds:
        return {}
    trust = Case(
        *[When(signature=key, then=Value(rank)) for key, rank in _TRUST.items()],
        default=Value(len(_TRUST)),
        output_field=IntegerField(),
    )
    rows = (
        StoredDocument.objects.filter(citizen=citizen, kind__code__in=sorted(kinds))
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .select_related("kind", "issuer")
        .annotate(trust=trust)
        .order_by("trust", "-issued_on", "-created_at", "-pk")
    )
    best: dict[str, Any] = {}
    for document in rows:
        best.setdefault(document.kind.code, document)
    return best


def _profile_value(citizen: Any, user: Any, path: str) -> Any:
    address: Any = getattr(user, "address", None)
    if path == "address" and address:
        # the contact address the citizen keeps on their account page, before the one of
        # their citizen record (`people.queries.contact_details` reads it the same way)
        return address
    value: Any = citizen
    for part in path.split("."):
        if value is None:
            break
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
    if value in (None, "") and path in {"phone", "email"}:
        value = getattr(user, path, None)  # the account's own, as start_draft does
    return value


def _as_field_value(value: Any, spec: dict[str, Any]) -> Any:
    """The value as the form holds it: ISO for a date field, dd/mm/yyyy for a date in a
    text field, the text otherwise."""
    if isinstance(value, date):
        if spec.get("format") == "date":
            return value.isoformat()
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _as_declared(value: Any) -> Any:
    """A layout's own source, as `eforms.prefill` gives it: dates ISO, the rest unchanged."""
    return value.isoformat() if isinstance(value, date) else value


def _fits(name: str, spec: dict[str, Any], value: Any, today: date) -> bool:
    """Whether the field would take `value` as it is (its type, pattern, length, bounds)."""
    if spec.get("type", "string") != "string" or "enum" in spec:
        return False  # only text and date fields: nothing to guess for a number or a choice
    _cleaned, problems = eforms.validate(
        {"type": "object", "properties": {name: spec}}, {name: value}, today=today
    )
    return not problems


def _store_label(document: Any) -> str:
    if document.number:
        return _("Lấy từ kho dữ liệu: %(kind)s, số %(number)s") % {
            "kind": document.kind.name,
            "number": document.number,
        }
    return _("Lấy từ kho dữ liệu: %(kind)s") % {"kind": document.kind.name}


_UNSET: Any = object()


def resolve(
    schema: dict[str, Any],
    layout: dict[str, Any] | None,
    user: Any,
    *,
    citizen: Any = _UNSET,
    today: date | None = None,
) -> Prefill:
    """The prefill of a form for `user` (a citizen's account): at most two queries (the
    citizen record unless given as `citizen`, their documents of the kinds the form asks
    about, only when it asks about some), none for an anonymous user. Reads only;
    `record_use` writes the audit when a draft takes the values."""
    from tinhso.people.models import Citizen

    found = Prefill()
    if not getattr(user, "is_authenticated", False):
        return found
    today = today or timezone.localdate()
    sources = mapping(schema, layout)
    if not sources:
        return found
    if citizen is _UNSET:
        citizen = Citizen.objects.filter(user=user).first()
    kinds = {kind for s in sources.values() if s.origin == STORE for kind in s.kinds}
    documents = _documents(citizen, kinds, today)
    properties = schema.get("properties", {})
    for name, source in sources.items():
        spec = properties[name]
        document = None
        if source.origin == PROFILE:
            raw = _profile_value(citizen, user, source.attribute)
            label = _("Lấy từ tài khoản")
        else:
            document = next((documents[k] for k in source.kinds if k in documents), None)
            if document is None:
                continue
            raw = (
                document.issuer_label
                if source.attribute == "issuer"
                else getattr(document, source.attribute)
            )
            label = _store_label(document)
        if raw in (None, ""):
            continue
        value = _as_field_value(raw, spec) if not source.declared else _as_declared(raw)
        if value == "" or (not source.declared and not _fits(name, spec, value, today)):
            continue
        found.fields[name] = Prefilled(value, label, document.pk if document is not None else None)
    return found


def sources(
    schema: dict[str, Any], layout: dict[str, Any] | None, user: Any, data: dict[str, Any]
) -> dict[str, str]:
    """Field → its source in words, for the fields whose value in `data` is still the one
    the source gives (a value the citizen changed is theirs: no source is shown)."""
    found = resolve(schema, layout, user)
    return {
        name: item.label
        for name, item in found.fields.items()
        if str(data.get(name, "")) == str(item.value)
    }


def record_use(dossier: Any, found: Prefill, *, user: Any) -> None:
    """The owner's own use of their stored documents to fill the form of `dossier`: one
    audit record per document (`datastore.used_for_prefill`, actor the citizen), in the
    caller's transaction. Not a `StoredDocumentRead`: that is an official's read, which the
    owner's "Ai đã xem" page lists."""
    from tinhso.core import audit
    from tinhso.datastore.models import StoredDocument

    used = found.documents()
    if not used:
        return
    for document in StoredDocument.objects.filter(pk__in=sorted(used)).order_by("pk"):
        audit.record(
            "datastore.used_for_prefill",
            document,
            actor=user,
            changes={"dossier": [None, dossier.pk], "fields": [None, used[document.pk]]},
        )
