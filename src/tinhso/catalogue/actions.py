"""State changes of the catalogue. Each is one transaction with its audit record.

Legal sources: Decree 63/2010/NĐ-CP as amended (procedures are published by decision and
kept in the national database), Decree 42/2022/NĐ-CP (online service type per procedure).
A published version is never edited: editing makes a new draft, and publishing it supersedes
the previous version. Dossiers keep pointing at the version they were submitted under.

Invalid input raises `errors.CatalogueError` (a declared code; a Django ValidationError too,
for the admin's forms) with Vietnamese messages per field.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.catalogue import generation
from tinhso.catalogue.errors import (
    CODE_MISSING,
    CODE_TAKEN,
    FIELD_INCOMPLETE,
    INVALID_INPUT,
    NOT_A_DRAFT,
    READ_ONLY_FIELD,
    UNKNOWN_LEVEL,
    CatalogueError,
)
from tinhso.catalogue.models import (
    ComponentRequirement,
    Field,
    Procedure,
    ProcedureVersion,
    SearchTerm,
)
from tinhso.catalogue.rules import LEVELS, ComponentSpec, VersionSpec, clean_spec
from tinhso.core import audit
from tinhso.core.text import fold, normalize, search_key
from tinhso.places.models import Agency

VERSION_FIELDS = (
    "name",
    "processing_days",
    "processing_hours",
    "processing_note",
    "online_type",
    "channels",
    "fees",
    "result_name",
    "legal_basis",
    "conditions",
    "steps",
    "eform_schema",
    "eform_layout",
)


def spec_of(version: ProcedureVersion) -> VersionSpec:
    """The content of a stored version, to copy or compare."""
    return VersionSpec(
        **{name: getattr(version, name) for name in VERSION_FIELDS},
        components=[
            ComponentSpec(
                name=c.name,
                code=c.code,
                originals=c.originals,
                copies=c.copies,
                required=c.required,
                from_datastore=c.from_datastore,
                group=c.group,
                form_file=c.form_file.name or "",
            )
            for c in version.components.all()
        ],
    )


def _version_state(version: ProcedureVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "state": version.state,
        "content_hash": version.content_hash,
    }


def ensure_field(code: str, name: str) -> Field:
    """The field (lĩnh vực) with this code, created or renamed as needed."""
    code, name = normalize(code), normalize(name)
    if not code or not name:
        raise CatalogueError(FIELD_INCOMPLETE, {"field": FIELD_INCOMPLETE.message})
    with transaction.atomic():
        field, created = Field.objects.get_or_create(
            code=code, defaults={"name": name, "search_key": search_key(name)}
        )
        if created:
            audit.record("catalogue.field.created", field, changes={"code": [None, code]})
        elif field.name != name:
            before = audit.snapshot(field, ["name"])
            field.name, field.search_key = name, search_key(name)
            field.save(update_fields=["name", "search_key"])
            generation.bump()  # a procedure's cached detail shows its field's name
            audit.record(
                "catalogue.field.renamed", field, changes=audit.diff(before, {"name": name})
            )
    return field


def _check_levels(levels: list[str]) -> list[str]:
    unknown = [level for level in levels if level not in LEVELS]
    if unknown:
        raise CatalogueError(UNKNOWN_LEVEL, {"levels": UNKNOWN_LEVEL.message})
    return [level for level in LEVELS if level in levels]


def _refresh_keys(procedure: Procedure) -> None:
    version = procedure.current_version
    procedure.name_key = fold(procedure.name)
    procedure.search_key = search_key(
        procedure.code,
        procedure.name,
        procedure.field.name,
        version.result_name if version is not None else "",
    )
    procedure.save(update_fields=["name", "name_key", "search_key", "updated_at"])
    words = set(procedure.search_key.split())
    SearchTerm.objects.bulk_create(
        [SearchTerm(word=w[:60], length=len(w[:60])) for w in sorted(words) if not w.isdigit()],
        ignore_conflicts=True,
    )
    generation.bump()  # names, keys, the version and popularity reach the search now


def _write_version(
    procedure: Procedure, spec: VersionSpec, *, source_updated_at: datetime | None
) -> ProcedureVersion:
    number = (procedure.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=number,
        state=ProcedureVersion.State.DRAFT,
        content_hash=spec.content_hash(),
        source_updated_at=source_updated_at,
        **{name: getattr(spec, name) for name in VERSION_FIELDS},
    )
    ComponentRequirement.objects.bulk_create(
        ComponentRequirement(version=version, position=i, **asdict(c))
        for i, c in enumerate(spec.components, start=1)
    )
    return version


def _checked(spec: VersionSpec) -> VersionSpec:
    spec = replace(spec, components=[replace(c) for c in spec.components])
    problems = clean_spec(spec)
    if problems:
        raise CatalogueError(INVALID_INPUT, problems)
    return spec


def create_procedure(
    *,
    code: str,
    field: Field,
    spec: VersionSpec,
    actor: Any,
    levels: list[str] | None = None,
    agency: Agency | None = None,
    popularity: int = 0,
    source_id: str = "",
) -> Procedure:
    """A new procedure with its first version as a draft (publish it to show it)."""
    code = normalize(code)
    if not code:
        raise CatalogueError(CODE_MISSING, {"code": CODE_MISSING.message})
    spec = _checked(spec)
    levels = _check_levels(levels or [])
    with transaction.atomic():
        if Procedure.objects.filter(code=code).exists():
            raise CatalogueError(CODE_TAKEN, {"code": CODE_TAKEN.message})
        procedure = Procedure.objects.create(
            code=code,
            name=spec.name,
            field=field,
            levels=levels,
            agency=agency,
            popularity=popularity,
            source_id=source_id,
        )
        version = _write_version(procedure, spec, source_updated_at=None)
        _refresh_keys(procedure)
        audit.record(
            "catalogue.procedure.created",
            procedure,
            actor=actor,
            changes={"code": [None, code], "version": [None, version.number]},
        )
    return procedure


def create_draft(
    procedure: Procedure, *, actor: Any, changes: dict[str, Any] | None = None
) -> ProcedureVersion:
    """A new draft version: the latest version's content with `changes` applied."""
    latest = procedure.versions.order_by("-number").first()
    base = spec_of(latest) if latest is not None else VersionSpec(name=procedure.name)
    spec = _apply(base, changes or {})
    spec = _checked(spec)
    with transaction.atomic():
        Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
        version = _write_version(procedure, spec, source_updated_at=None)
        audit.record(
            "catalogue.version.drafted",
            version,
            actor=actor,
            changes=audit.diff({}, _version_state(version)),
        )
    return version


def update_draft(
    version: ProcedureVersion, *, actor: Any, changes: dict[str, Any]
) -> ProcedureVersion:
    """Change a draft; published and superseded versions are never edited."""
    if version.state != ProcedureVersion.State.DRAFT:
        raise CatalogueError(
            NOT_A_DRAFT,
            {"state": _("Chỉ sửa được bản nháp; hãy tạo phiên bản mới để sửa thủ tục.")},
        )
    spec = _checked(_apply(spec_of(version), changes))
    with transaction.atomic():
        locked = ProcedureVersion.objects.select_for_update().get(pk=version.pk)
        if locked.state != ProcedureVersion.State.DRAFT:
            raise CatalogueError(NOT_A_DRAFT, {"state": _("Bản nháp này vừa được công bố.")})
        before = audit.snapshot(locked, [*VERSION_FIELDS, "content_hash"])
        before["components"] = [asdict(c) for c in spec_of(locked).components]
        for name in VERSION_FIELDS:
            setattr(locked, name, getattr(spec, name))
        locked.content_hash = spec.content_hash()
        locked.save()
        if "components" in changes:
            locked.components.all().delete()
            ComponentRequirement.objects.bulk_create(
                ComponentRequirement(version=locked, position=i, **asdict(c))
                for i, c in enumerate(spec.components, start=1)
            )
        after = audit.snapshot(locked, [*VERSION_FIELDS, "content_hash"])
        after["components"] = [asdict(c) for c in spec.components]
        audit.record(
            "catalogue.version.updated", locked, actor=actor, changes=audit.diff(before, after)
        )
    return locked


def _apply(base: VersionSpec, changes: dict[str, Any]) -> VersionSpec:
    allowed = {*VERSION_FIELDS, "components"}
    unknown = set(changes) - allowed
    if unknown:
        raise CatalogueError(
            READ_ONLY_FIELD, {name: READ_ONLY_FIELD.message for name in sorted(unknown)}
        )
    values = dict(changes)
    if "components" in values:
        values["components"] = [
            c if isinstance(c, ComponentSpec) else ComponentSpec(**c) for c in values["components"]
        ]
    return replace(base, **values)


def publish_version(version: ProcedureVersion, *, actor: Any) -> ProcedureVersion:
    """Công bố: the draft becomes the published version; the previous one is superseded."""
    with transaction.atomic():
        locked = ProcedureVersion.objects.select_for_update().get(pk=version.pk)
        if locked.state != ProcedureVersion.State.DRAFT:
            raise CatalogueError(NOT_A_DRAFT, {"state": _("Chỉ công bố được bản nháp.")})
        procedure = Procedure.objects.select_for_update().get(pk=locked.procedure_id)
        previous = procedure.versions.filter(state=ProcedureVersion.State.PUBLISHED).first()
        if previous is not None:
            previous.state = ProcedureVersion.State.SUPERSEDED
            previous.save(update_fields=["state"])
        locked.state = ProcedureVersion.State.PUBLISHED
        locked.published_at = timezone.now()
        locked.save(update_fields=["state", "published_at"])
        procedure.current_version = locked
        procedure.name = locked.name
        procedure.save(update_fields=["current_version"])
        _refresh_keys(procedure)
        audit.record(
            "catalogue.version.published",
            locked,
            actor=actor,
            changes={
                "state": [ProcedureVersion.State.DRAFT, ProcedureVersion.State.PUBLISHED],
                "superseded": [None, previous.number if previous is not None else None],
            },
        )
    version.refresh_from_db()
    return locked


def set_agency(procedure: Procedure, agency: Agency | None, *, actor: Any) -> Procedure:
    """Assign the competent agency (cơ quan có thẩm quyền)."""
    with transaction.atomic():
        before = {"agency": procedure.agency.code if procedure.agency else None}
        procedure.agency = agency
        procedure.save(update_fields=["agency", "updated_at"])
        after = {"agency": agency.code if agency else None}
        if before != after:
            generation.bump()  # the agency filter of the search
            audit.record(
                "catalogue.procedure.agency_set",
                procedure,
                actor=actor,
                changes=audit.diff(before, after),
            )
    return procedure


def set_active(procedure: Procedure, is_active: bool, *, actor: Any) -> Procedure:
    """Stop or resume offering a procedure (bãi bỏ / áp dụng lại)."""
    with transaction.atomic():
        if procedure.is_active != is_active:
            procedure.is_active = is_active
            procedure.save(update_fields=["is_active", "updated_at"])
            generation.bump()  # withdrawn procedures leave the search at once
            audit.record(
                "catalogue.procedure.activated" if is_active else "catalogue.procedure.deactivated",
                procedure,
                actor=actor,
                changes={"is_active": [not is_active, is_active]},
            )
    return procedure


def save_procedure(
    *,
    code: str,
    field_code: str,
    field_name: str,
    spec: VersionSpec,
    actor: Any,
    levels: list[str] | None = None,
    agency: Agency | None = None,
    popularity: int | None = None,
    source_id: str = "",
    source_updated_at: datetime | None = None,
) -> tuple[Procedure, ProcedureVersion | None]:
    """Idempotent import: create the procedure, or publish a new version if content changed.

    Returns the procedure and the version published now (None when nothing changed).
    """
    spec = _checked(spec)
    levels = _check_levels(levels or [])
    with transaction.atomic():
        field = ensure_field(field_code, field_name)
        procedure = Procedure.objects.select_for_update().filter(code=normalize(code)).first()
        if procedure is None:
            procedure = create_procedure(
                code=code,
                field=field,
                spec=spec,
                actor=actor,
                levels=levels,
                agency=agency,
                popularity=popularity or 0,
                source_id=source_id,
            )
            draft = procedure.versions.get()
            if source_updated_at is not None:
                ProcedureVersion.objects.filter(pk=draft.pk).update(
                    source_updated_at=source_updated_at
                )
            published = publish_version(draft, actor=actor)
            procedure.refresh_from_db()
            return procedure, published
        meta_before = {
            "field": procedure.field.code,
            "levels": procedure.levels,
            "source_id": procedure.source_id,
        }
        procedure.field, procedure.levels = field, levels
        procedure.source_id = source_id or procedure.source_id
        if popularity is not None:
            procedure.popularity = popularity
        if agency is not None:
            procedure.agency = agency
        procedure.save()
        meta_after = {"field": field.code, "levels": levels, "source_id": procedure.source_id}
        if meta_before != meta_after:
            audit.record(
                "catalogue.procedure.updated",
                procedure,
                actor=actor,
                changes=audit.diff(meta_before, meta_after),
            )
        current = procedure.current_version
        if current is not None and current.content_hash == spec.content_hash():
            _refresh_keys(procedure)
            return procedure, None
        draft = _write_version(procedure, spec, source_updated_at=source_updated_at)
        audit.record(
            "catalogue.version.drafted",
            draft,
            actor=actor,
            changes=audit.diff({}, _version_state(draft)),
        )
        published = publish_version(draft, actor=actor)
        procedure.refresh_from_db()
        return procedure, published


def set_popularity(counts: dict[int, int], *, actor: Any = None) -> int:
    """Mức phổ biến from real demand: `counts` maps a procedure id to its dossiers in the
    window; every other procedure gets 0. Only changed rows are written, in one transaction
    with one audit record listing them (`{code: [before, after]}`). Returns how many changed."""
    with transaction.atomic():
        current = dict(Procedure.objects.select_for_update().values_list("id", "popularity"))
        codes = dict(Procedure.objects.values_list("id", "code"))
        changed: dict[str, list[int]] = {}
        by_value: dict[int, list[int]] = {}
        for pk, before in current.items():
            after = max(0, int(counts.get(pk, 0)))
            if after != before:
                changed[codes[pk]] = [before, after]
                by_value.setdefault(after, []).append(pk)
        for value, ids in by_value.items():
            Procedure.objects.filter(id__in=ids).update(popularity=value)
        if changed:
            generation.bump()  # popularity orders the search
            audit.record(
                "catalogue.popularity_set",
                actor=actor,
                object_type="catalogue.procedure",
                changes=dict(sorted(changed.items())),
            )
    return len(changed)
