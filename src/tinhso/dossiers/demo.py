"""Demo dossiers for the demo citizen (phone 0912345678). Never in production.

`load_demo()` loads the places, catalogue and people demos it builds on, then submits a few
dossiers through the same action the API uses, each with a fixed Idempotency-Key, so running
it again finds them instead of making new ones. One waits for reception, one has a supplement
request, one has an electronic result and a rating, and one draft is left to resume.

The back office (issue 4): each demo procedure gets a processing route (version 1):
"Thẩm định hồ sơ" by a specialist of the Sở Tư pháp (liên thông), then "Phê duyệt" by a leader
of the UBND tỉnh. Three more dossiers are received by `tiepnhan` at the service centre: one
waits at `chuyenvien.stp`, one was forwarded to `lanhdao`, one waits for the citizen's
supplement asked by `chuyenvien.stp`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from tinhso.catalogue import eforms
from tinhso.catalogue.models import ProcedureVersion
from tinhso.core.context import acting_as
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
    with acting_as(user, channel="command"):
        picked = [(v, f) for v in _candidates() if (f := _form_for(v, citizen)) is not None][:3]
        for number, (version, form) in enumerate(picked, start=1):
            dossier = _submit(user, version, form, number)
            result.codes.append(dossier.code or "")
            _advance(dossier, number)
        _routes([v for v, _ in picked])
        for number, (version, form) in enumerate(picked, start=4):
            dossier = _submit(user, version, form, number)
            result.codes.append(dossier.code or "")
            _process(dossier, number)
        if picked and not Dossier.objects.filter(owner=user, state=Dossier.State.DRAFT).exists():
            draft = actions.start_draft(picked[0][0], user=user)
            result.draft_id = draft.pk
    return result


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
        result_name = dossier.version.result_name or "Kết quả giải quyết"
        actions.issue_result(dossier, result_name[:200], _pdf(result_name), officer=None)
        if not Rating.objects.filter(dossier=dossier).exists():
            actions.rate(dossier, "very_satisfied", "Giải quyết nhanh.", user=dossier.owner)


def _submit(user: Any, version: ProcedureVersion, form: dict[str, Any], number: int) -> Dossier:
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
    )
    return dossier


def _routes(versions: list[ProcedureVersion]) -> None:
    """Route version 1 for each demo procedure, created once."""
    from decimal import Decimal

    from tinhso.dossiers.models import ProcessingRoute, RouteStep
    from tinhso.people.models import Role, RoleAssignment

    # where the demo officials work (tinhso.people.demo)
    where = {
        "STP": RoleAssignment.objects.get(user__username="chuyenvien.stp").agency,
        "province": RoleAssignment.objects.get(user__username="lanhdao").agency,
    }
    for version in versions:
        route, created = ProcessingRoute.objects.get_or_create(
            procedure=version.procedure, number=1, defaults={"note": "Quy trình mẫu (demo)"}
        )
        if created:
            RouteStep.objects.create(
                route=route,
                position=1,
                name="Thẩm định hồ sơ (liên thông Sở Tư pháp)",
                agency=where["STP"],
                role=Role.SPECIALIST,
                share_percent=Decimal(70),
            )
            RouteStep.objects.create(
                route=route,
                position=2,
                name="Phê duyệt",
                agency=where["province"],
                role=Role.LEADER,
                share_percent=Decimal(30),
            )


def _process(dossier: Dossier, number: int) -> None:
    """Dossier 4 waits at the specialist, 5 at the leader, 6 for the citizen's supplement."""
    from tinhso.people.models import User

    if dossier.state != Dossier.State.SUBMITTED:
        return
    desk = User.objects.get(username="tiepnhan")
    specialist = User.objects.get(username="chuyenvien.stp")
    actions.receive(dossier, officer=desk)
    if number == 5:
        actions.forward(dossier, officer=specialist, note="Hồ sơ đủ điều kiện, trình phê duyệt.")
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
