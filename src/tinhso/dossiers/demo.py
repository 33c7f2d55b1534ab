"""Demo dossiers for the demo citizen (phone 0912345678). Never in production.

`load_demo()` loads the places, catalogue and people demos it builds on, then submits a few
dossiers through the same action the API uses, each with a fixed Idempotency-Key, so running
it again finds them instead of making new ones. One waits for reception, one has a supplement
request, one has a returned electronic result (sealed by its agency, with a /xac-thuc/
code) and a rating, and one draft is left to resume.

The back office: every demo procedure gets a processing route whose steps are all staffed by
demo officials (`tinhso.people.demo`): "Thẩm định hồ sơ" by a specialist of the competent
agency, then "Phê duyệt" by its leader. For a provincial procedure that is the department
(`chuyenvien.sxd` then `lanhdao.sxd`, ...); for a commune-level one, the People's Committee
of the commune the dossier is for (`chuyenvien.xa` then `chutich.xa` in the staffed commune).
Three more dossiers are received by `tiepnhan` at the service centre: one waits at its
department's specialist, one was forwarded to the leader with a draft result and an
appraisal note, one waits for the citizen's supplement asked by the specialist. One
commune-level dossier waits for reception at the staffed commune's one-stop desk.

Two more show the operations centre (/dieu-hanh/) a late dossier: both were submitted and
received in the past (on a demo clock: the same actions, run as at that moment), so that their
appointment has passed by now. One was appraised only now, after its step's due time, and
approved now: finished late, its late step "Thẩm định hồ sơ" at the competent agency. The
other still waits at the specialist, past its appointment. Each step the demo walks is first
assigned by the agency's leader, so the tracking sheet names its official.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from tinhso.catalogue import eforms
from tinhso.catalogue.models import ProcedureVersion
from tinhso.core.context import acting_as
from tinhso.datastore import demo as datastore_demo
from tinhso.dossiers import actions
from tinhso.dossiers.models import Dossier, Rating


class DemoRefused(Exception):
    """The demo has a public account: not in production."""


@dataclass
class DemoResult:
    codes: list[str] = field(default_factory=list)
    draft_id: int | None = None


def _pdf(text: str) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=f"<p>{text}</p>").write_pdf())


def _sample_value(spec: dict[str, Any]) -> Any:
    if "enum" in spec:
        return spec["enum"][0]
    kind, fmt = spec.get("type"), spec.get("format")
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return spec.get("minimum", 1)
    if fmt == "date":
        return "1990-05-12"
    if fmt == "email":
        return "congdan@example.com"
    return "Nội dung minh họa cho hồ sơ mẫu"[: spec.get("maxLength", 200)]


def _form_for(version: ProcedureVersion, citizen: Any) -> dict[str, Any] | None:
    schema = version.eform_schema or {}
    data = {name: _sample_value(spec) for name, spec in schema.get("properties", {}).items()}
    data.update(eforms.prefill(schema, version.eform_layout, citizen))
    _, errors = eforms.validate(schema, data)
    return None if errors else data


def _candidates() -> list[ProcedureVersion]:
    versions = (
        ProcedureVersion.objects.filter(
            state=ProcedureVersion.State.PUBLISHED,
            procedure__is_active=True,
            procedure__agency__isnull=False,
        )
        .exclude(online_type=ProcedureVersion.OnlineType.NONE)
        .select_related("procedure__agency")
        .order_by("-procedure__popularity", "procedure__code")
    )
    return [v for v in versions if v.accepts_online()]


def load_demo() -> DemoResult:
    if settings.MODE == "production":
        raise DemoRefused("the demo dossiers are not for production")
    from tinhso.catalogue import demo as catalogue_demo
    from tinhso.people import demo as people_demo
    from tinhso.people.models import User

    catalogue_demo.load_demo()
    people_demo.load_demo()
    user = User.objects.get(phone=people_demo.CITIZEN_PHONE)
    citizen = getattr(user, "citizen", None)
    result = DemoResult()
    _routes()
    with acting_as(user, channel="command"):
        picked = [(v, f) for v in _candidates() if (f := _form_for(v, citizen)) is not None][:3]
        for number, (version, form) in enumerate(picked, start=1):
            dossier = _submit(user, version, form, number)
            result.codes.append(dossier.code or "")
            _advance(dossier, number)
        for number, (version, form) in enumerate(picked, start=4):
            dossier = _submit(user, version, form, number)
            result.codes.append(dossier.code or "")
            _process(dossier, number)
        late = _late_candidate(picked)
        if late is not None:
            version, form, received_at = late
            for number in (8, 9):
                with _demo_clock(received_at - timedelta(minutes=30)):
                    dossier = _submit(user, version, form, number)
                result.codes.append(dossier.code or "")
                _late(dossier, number, received_at)
        commune = _commune_candidate(citizen)
        if commune is not None:
            version, form, agency = commune
            dossier = _submit(user, version, form, 7, agency=agency)
            result.codes.append(dossier.code or "")
        if picked and not Dossier.objects.filter(owner=user, state=Dossier.State.DRAFT).exists():
            draft = actions.start_draft(picked[0][0], user=user)
            result.draft_id = draft.pk
    datastore_demo.load_store_demo()  # the citizen's data store, with one of these results
    return result


@contextlib.contextmanager
def _demo_clock(moment: datetime) -> Iterator[None]:
    """Run the platform's actions as at `moment` (in the past): they read the time through
    `django.utils.timezone.now`, as the tests' frozen clock relies on."""
    from django.utils import timezone

    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


def _late_candidate(
    picked: list[tuple[ProcedureVersion, dict[str, Any]]],
) -> tuple[ProcedureVersion, dict[str, Any], datetime] | None:
    """Of the demo's provincial procedures with a specialist and a leader, the one whose
    appointment passes soonest; and the latest working moment to receive a dossier of it so
    that its appointment has passed by now (so the dossiers stay in this month if they can)."""
    from django.utils import timezone

    from tinhso.dossiers.actions._common import _appointment
    from tinhso.people.models import Role

    now = timezone.now()
    best: tuple[ProcedureVersion, dict[str, Any], datetime] | None = None
    for version, form in picked:
        agency = version.procedure.agency
        if _holder(agency, Role.SPECIALIST) is None or _holder(agency, Role.LEADER) is None:
            continue
        probe = Dossier(version=version)
        for hours in range(24, 24 * 400, 6):
            received = now - timedelta(hours=hours)
            if _appointment(probe, received) < now - timedelta(hours=1):
                if best is None or received > best[2]:
                    best = (version, form, received)
                break
    return best


def _assign(dossier: Dossier, role: str) -> Dossier:
    """The agency's leader gives the current step to its official holding `role`."""
    from tinhso.people.models import Role

    leader = _holder(dossier.current_agency, Role.LEADER)
    official = _holder(dossier.current_agency, role)
    if leader is None or official is None:
        return dossier
    return actions.assign(dossier, officer=leader, to=official)


def _late(dossier: Dossier, number: int, received_at: datetime) -> None:
    """Dossier 8, received in the past, is appraised late and approved now (finished late);
    dossier 9 still waits at the specialist, past its appointment."""
    from tinhso.people.models import Role, User

    if dossier.state != Dossier.State.SUBMITTED:
        return
    desk = User.objects.get(username="tiepnhan")
    with _demo_clock(received_at):
        dossier = actions.receive(dossier, officer=desk)
    with _demo_clock(received_at + timedelta(minutes=20)):
        dossier = _assign(dossier, Role.SPECIALIST)
    if number != 8:
        return
    specialist = _holder(dossier.agency, Role.SPECIALIST)
    dossier = actions.forward(
        dossier, officer=specialist, note="Thẩm định xong (chậm so với hạn của bước)."
    )
    dossier = _assign(dossier, Role.LEADER)
    actions.approve(dossier, officer=_holder(dossier.agency, Role.LEADER))


def _commune_candidate(citizen: Any) -> tuple[ProcedureVersion, dict[str, Any], Any] | None:
    """The most popular commune-level procedure open online, for the staffed commune."""
    from tinhso.people.demo import demo_commune_agencies
    from tinhso.places.queries import home_province

    staffed = demo_commune_agencies(home_province().pk)
    if staffed is None:
        return None
    versions = (
        ProcedureVersion.objects.filter(
            state=ProcedureVersion.State.PUBLISHED,
            procedure__is_active=True,
            procedure__agency__isnull=True,
        )
        .exclude(online_type=ProcedureVersion.OnlineType.NONE)
        .select_related("procedure")
        .order_by("-procedure__popularity", "procedure__code")
    )
    for version in versions:
        if "commune" in (version.procedure.levels or []) and version.accepts_online():
            form = _form_for(version, citizen)
            if form is not None:
                return version, form, staffed[0]
    return None


def _advance(dossier: Dossier, number: int) -> None:
    """Move demo dossier 2 to a supplement request and 3 to a result with a rating."""
    if dossier.state != Dossier.State.SUBMITTED:
        return
    if number == 2:
        fields = list((dossier.version.eform_schema or {}).get("properties", {}))[:1]
        actions.request_supplement(
            dossier,
            reason="Bản chụp giấy tờ bị mờ, đề nghị tải lên bản rõ hơn.",
            fields=fields,
            component_ids=[c.pk for c in dossier.version.components.all() if c.required][:1],
            officer=None,
        )
    elif number == 3:
        # received at the centre, its result an electronic result sealed by its agency
        # (verify/demo.py) and returned online: the demo's /xac-thuc/ code
        from tinhso.dossiers.errors import DossierError
        from tinhso.people.models import Role, User
        from tinhso.verify import demo as verify_demo

        desk = User.objects.get(username="tiepnhan")
        dossier = _assign(actions.receive(dossier, officer=desk), Role.SPECIALIST)
        verify_demo.ensure_seal(dossier.agency)
        result_name = dossier.version.result_name or "Kết quả giải quyết"
        actions.issue_result(dossier, result_name[:200], _pdf(result_name), officer=None)
        # a fee due before the result: it stays ready, unpaid
        with contextlib.suppress(DossierError):
            actions.return_result(dossier, officer=desk, how="online")
        if not Rating.objects.filter(dossier=dossier).exists():
            actions.rate(dossier, "very_satisfied", "Giải quyết nhanh.", user=dossier.owner)


def _submit(
    user: Any,
    version: ProcedureVersion,
    form: dict[str, Any],
    number: int,
    *,
    agency: Any = None,
) -> Dossier:
    attachments = [
        actions.Attachment(
            component=c.code or str(c.position),
            filename=f"giay-to-{c.position}.pdf",
            content_base64=base64.b64encode(_pdf(c.name[:200])).decode(),
        )
        for c in version.components.all()
        if c.required
    ]
    delivery = actions.delivery_options(version)[0]
    payload = {"procedure": version.procedure.code, "form": form, "delivery": delivery}
    dossier, _ = actions.submit_via_api(
        user=user,
        key=f"demo-dossier-{number}",
        version=version,
        form=form,
        delivery=delivery,
        delivery_address="",
        attachments=attachments,
        fingerprint=actions.request_fingerprint(payload),
        agency=agency,
    )
    return dossier


# The demo route of every procedure: (name, role, share of the processing time). The steps
# name no agency, so each runs in the dossier's competent agency (a department, or the
# People's Committee of the dossier's commune).
ROUTE = (
    ("Thẩm định hồ sơ", "specialist", 70),
    ("Phê duyệt", "leader", 30),
)


def _routes() -> None:
    """Every demo procedure's active route has the demo shape; an older shape is replaced by
    a new route number (a route in use is never edited), so loading again changes nothing."""
    from decimal import Decimal

    from django.db import transaction

    from tinhso.catalogue.models import Procedure
    from tinhso.dossiers.models import ProcessingRoute, RouteStep

    wanted = [(name, role, Decimal(share), None) for name, role, share in ROUTE]
    for procedure in Procedure.objects.filter(is_active=True).order_by("code"):
        active = actions.active_route(procedure.pk)
        if active is not None:
            have = [
                (s.name, s.role, s.share_percent, s.agency_id)
                for s in active.steps.order_by("position")
            ]
            if have == wanted:
                continue
        with transaction.atomic():
            last = procedure.routes.order_by("-number").first()
            procedure.routes.filter(is_active=True).update(is_active=False)
            route = ProcessingRoute.objects.create(
                procedure=procedure,
                number=(last.number + 1) if last else 1,
                note="Quy trình mẫu (demo)",
            )
            for position, (name, role, share, _agency) in enumerate(wanted, start=1):
                RouteStep.objects.create(
                    route=route, position=position, name=name, role=role, share_percent=share
                )


def _holder(agency: Any, role: str) -> Any:
    from tinhso.people.models import RoleAssignment

    found = (
        RoleAssignment.objects.filter(agency=agency, role=role)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return found.user if found else None


def _process(dossier: Dossier, number: int) -> None:
    """Dossier 4 waits at the specialist, 5 at the leader (with a draft result and an
    appraisal note), 6 for the citizen's supplement asked by the specialist."""
    from tinhso.dossiers.models import ProcessingPaper
    from tinhso.people.models import Role, User

    if dossier.state != Dossier.State.SUBMITTED:
        return
    desk = User.objects.get(username="tiepnhan")
    specialist = _holder(dossier.agency, Role.SPECIALIST)
    dossier = actions.receive(dossier, officer=desk)
    if specialist is None:
        return
    dossier = _assign(dossier, Role.SPECIALIST)
    if number == 5:
        result_name = dossier.version.result_name or "Kết quả giải quyết"
        dossier = actions.forward(
            dossier,
            officer=specialist,
            note="Hồ sơ đủ điều kiện, trình phê duyệt.",
            papers=[
                actions.Paper(
                    ProcessingPaper.Kind.DRAFT_RESULT,
                    "du-thao-ket-qua.pdf",
                    _pdf(f"DỰ THẢO: {result_name}"),
                ),
                actions.Paper(
                    ProcessingPaper.Kind.APPRAISAL,
                    "to-trinh.pdf",
                    _pdf("TỜ TRÌNH: hồ sơ đầy đủ, hợp lệ, đề nghị lãnh đạo phê duyệt."),
                ),
            ],
        )
        _assign(dossier, Role.LEADER)
    elif number == 6:
        component = dossier.version.components.filter(required=True).first()
        actions.request_supplement(
            dossier,
            reason="Đề nghị bổ sung bản chụp rõ nét.",
            fields=[],
            component_ids=[],
            officer=specialist,
            items=[actions.MissingItem(component.pk, "Bản chụp bị mờ")] if component else [],
        )
