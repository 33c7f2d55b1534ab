"""Drafts (bản nháp): start, save the e-form, attach files (uploads or the citizen's data
store, Decree 45/2020), choose delivery, discard. Decree 42/2022 (online submission).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from tinhso.catalogue import eforms
from tinhso.catalogue.models import ComponentRequirement, ProcedureVersion
from tinhso.core import audit
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


# The longest invalid answer kept for correction when the e-form sets no maxLength.
MAX_KEPT_TEXT = 2000


def save_form(dossier: Dossier, data: Mapping[str, Any], *, user: Any) -> dict[str, str]:
    """Keep what the citizen typed; return the Vietnamese message per invalid field."""
    _owned(dossier, user)
    _editable(dossier)
    schema = dossier.version.eform_schema
    cleaned, problems = eforms.validate(schema, dict(data))
    kept = dict(cleaned)
    fields = schema.get("properties", {}) if isinstance(schema, dict) else {}
    for name in problems:  # keep what was typed so the citizen can correct it...
        value = data.get(name)
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
    _owned(dossier, user)
    name = normalize(name)[:255] or "tep"
    current = Dossier.objects.get(pk=dossier.pk)  # a fresh read, no lock: refuse early
    _editable(current)
    _component(current, component_id)
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
            component = _component(locked, component_id)
            check_room(name, len(content), already_in_dossier=_dossier_bytes(locked))
            item.dossier = locked
            item.component = component
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
                        {"component": component.pk, "name": name, "sha256": item.sha256},
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
