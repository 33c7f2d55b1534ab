"""Who may act on a dossier in the back office: each rule once, for the actions and the pages.

Legal source: Decree 118/2025/NĐ-CP (the one-stop desk receives and returns; the competent
agency processes along its internal route; the leader decides; the agency at fault
apologises). The states an action may start from are in `lifecycle.ACTIONS`; this module
adds who may take it: the role an official holds in which agency, and the shape of the route
(a forward needs a later step, a decision a leader step, ready needs a result).

Each rule returns None when the official may act, or the Vietnamese reason why not. The named
actions in `actions.py` raise `NotAllowed` with that reason; the officer's dossier page shows
only the actions `available()` returns, so a button is shown exactly when its action would
pass these checks, and a refused action (a stale page) says the same reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.utils.translation import gettext as _

from tinhso.dossiers import lifecycle
from tinhso.dossiers.models import Dossier
from tinhso.people.models import Role
from tinhso.people.queries import active_roles, agencies_where
from tinhso.places.models import Agency

Rule = Callable[[Any, Dossier], "str | None"]


def role_pairs(user: Any) -> set[tuple[int, str]]:
    """(agency id, role) of every role `user` holds now."""
    return set(active_roles(user).values_list("agency_id", "role"))


def desk_receives_for(desk: Agency, competent: Agency, reception_agency_id: int | None) -> bool:
    """Decree 118/2025: any one-stop centre of the province, the competent agency itself or
    one of its own units (a commune's one-stop desk) receives."""
    return (
        desk.pk in {competent.pk, reception_agency_id}
        or desk.parent_id == competent.pk
        or (desk.level == Agency.Level.SERVICE_CENTRE and desk.province_id == competent.province_id)
    )


def reception_agencies(user: Any, dossier: Dossier) -> list[Agency]:
    """The agencies in which `user` may receive `dossier`."""
    competent = dossier.agency
    return [
        a
        for a in agencies_where(user, Role.RECEIVING_OFFICER)
        if desk_receives_for(a, competent, dossier.reception_agency_id)
    ]


def receivable_competent_agencies(user: Any, candidates: Iterable[Agency]) -> list[Agency]:
    """Of the `candidates` competent agencies, those `user`'s desks may receive for: the
    choice a counter officer has for a commune-level procedure."""
    desks = list(agencies_where(user, Role.RECEIVING_OFFICER))
    return [c for c in candidates if any(desk_receives_for(d, c, None) for d in desks)]


def step_role(dossier: Dossier) -> str:
    """The role the current step asks for (a dossier with no route: a specialist)."""
    return dossier.current_step.role if dossier.current_step else Role.SPECIALIST


def _step_positions(dossier: Dossier) -> list[int]:
    if dossier.route is None:
        return []
    return list(dossier.route.steps.order_by("position").values_list("position", flat=True))


# --- the rules -------------------------------------------------------------------------------
def receiving(user: Any, dossier: Dossier) -> str | None:
    """Receive or reject: a receiving officer of a desk that receives for the agency."""
    if not reception_agencies(user, dossier):
        return _("Bạn không phải cán bộ tiếp nhận của nơi nhận hồ sơ này.")
    return None


def performing_step(user: Any, dossier: Dossier) -> str | None:
    """The current step's performer: its role in its agency, and its assignee if any."""
    if (dossier.current_agency_id, step_role(dossier)) not in role_pairs(user):
        return _("Bạn không được giao xử lý bước này của hồ sơ.")
    if dossier.assignee_id and dossier.assignee_id != user.pk:
        return _("Hồ sơ đã được phân công cho cán bộ khác.")
    return None


def forwarding(user: Any, dossier: Dossier) -> str | None:
    """Forward: the performer, and the route has a later step (else: approve or refuse)."""
    reason = performing_step(user, dossier)
    if reason:
        return reason
    current = dossier.current_step.position if dossier.current_step else 0
    if not [p for p in _step_positions(dossier) if p > current]:
        return _("Đây là bước cuối của quy trình: hãy phê duyệt hoặc từ chối.")
    return None


def returning_to_step(user: Any, dossier: Dossier) -> str | None:
    """Send back: the performer, and there is an earlier step to send it to."""
    reason = performing_step(user, dossier)
    if reason:
        return reason
    current = dossier.current_step.position if dossier.current_step else 0
    if not [p for p in _step_positions(dossier) if p < current]:
        return _("Đây là bước đầu của quy trình, không có bước trước để trả lại.")
    return None


def supplementing(user: Any, dossier: Dossier) -> str | None:
    """Ask for a supplement: the desk before reception, the step's performer after."""
    if dossier.state == Dossier.State.RECEIVED:
        return performing_step(user, dossier)
    return receiving(user, dossier)


def managing_step(user: Any, dossier: Dossier) -> str | None:
    """Assign, apologise: the head of unit or the leader of the current step's agency."""
    agency_id = dossier.current_agency_id
    if not {(agency_id, Role.HEAD_OF_UNIT), (agency_id, Role.LEADER)} & role_pairs(user):
        return _("Chỉ lãnh đạo đơn vị đang xử lý mới được thực hiện thao tác này.")
    return None


def assigns_somewhere(user: Any) -> bool:
    """Whether `user` heads a unit or leads an agency anywhere: the queues' bulk assignment
    is offered only then (each dossier is still checked by `managing_step`)."""
    return any(role in {Role.HEAD_OF_UNIT, Role.LEADER} for _agency, role in role_pairs(user))


def deciding(user: Any, dossier: Dossier) -> str | None:
    """Approve or refuse: a leader of the agency, at a leader step."""
    if step_role(dossier) != Role.LEADER:
        return _("Hồ sơ chưa đến bước lãnh đạo phê duyệt.")
    if (dossier.current_agency_id, Role.LEADER) not in role_pairs(user):
        return _("Chỉ lãnh đạo cơ quan ở bước phê duyệt mới được quyết định.")
    return None


def handling_result(user: Any, dossier: Dossier) -> str | None:
    """Attach the result: a clerk or a specialist of the competent agency."""
    agency_id = dossier.agency_id
    if not {(agency_id, Role.CLERK), (agency_id, Role.SPECIALIST)} & role_pairs(user):
        return _("Chỉ văn thư, chuyên viên của cơ quan giải quyết được cập nhật kết quả.")
    return None


def marking_ready(user: Any, dossier: Dossier) -> str | None:
    """Ready: as attaching the result, once there is one."""
    reason = handling_result(user, dossier)
    if reason:
        return reason
    if not dossier.results.exists():
        return _("Chưa đính kèm kết quả giải quyết.")
    return None


def returning_result(user: Any, dossier: Dossier) -> str | None:
    """Return the result: a receiving officer where it was received (or of the agency)."""
    where = {dossier.reception_agency_id or dossier.agency_id, dossier.agency_id}
    if not {(a, Role.RECEIVING_OFFICER) for a in where} & role_pairs(user):
        return _("Chỉ cán bộ một cửa nơi tiếp nhận mới được trả kết quả.")
    return None


OPINION_ROLES = frozenset({Role.SPECIALIST, Role.HEAD_OF_UNIT, Role.LEADER})


def opinion_agencies(user: Any) -> set[int]:
    """The agencies in which `user` may answer a request for an opinion."""
    return {agency_id for agency_id, role in role_pairs(user) if role in OPINION_ROLES}


def giving_opinion(user: Any, dossier: Dossier) -> str | None:
    """Give an opinion: an official of an agency with an open request on this dossier."""
    if not dossier.opinions.filter(
        answered_at__isnull=True, agency_id__in=opinion_agencies(user)
    ).exists():
        return _("Cơ quan của bạn không được xin ý kiến về hồ sơ này.")
    return None


RULES: dict[str, Rule] = {
    "receive": receiving,
    "reject": receiving,
    "request_supplement": supplementing,
    "assign": managing_step,
    "forward": forwarding,
    "request_opinions": performing_step,
    "give_opinion": giving_opinion,
    "return_to_step": returning_to_step,
    "extend": managing_step,
    "approve": deciding,
    "refuse": deciding,
    "attach_result": handling_result,
    "mark_ready": marking_ready,
    "return_result": returning_result,
}


def refusal(user: Any, dossier: Dossier, action: str) -> str | None:
    """Why `user` may not take `action` on `dossier` now (state first, then the person)."""
    reason = lifecycle.refusal(dossier.state, action)
    if reason:
        return reason
    rule = RULES.get(action)
    if rule is None:
        return _("Thao tác này không thực hiện ở bộ phận một cửa.")
    return rule(user, dossier)


def available(user: Any, dossier: Dossier) -> list[str]:
    """The back-office actions `user` may take on `dossier` now, in the lifecycle's order."""
    return [
        action
        for action in lifecycle.allowed(dossier.state)
        if action in RULES and refusal(user, dossier, action) is None
    ]
