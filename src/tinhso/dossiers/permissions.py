"""Who may act on a dossier and who may see it: each rule once, for actions, queries, pages, API.

Legal source: Decree 118/2025/NĐ-CP (the one-stop desk receives and returns; any one-stop
centre of the province receives regardless of the administrative boundary; the competent
agency processes along its internal route; the leader decides; the agency at fault
apologises). The states an action may start from are in `lifecycle.ACTIONS`; this module
adds who may take it: the role an official holds in which agency, and the shape of the route
(a forward needs a later step, a decision a leader step, ready needs a result).

Each rule returns None when the official may act, or the refusal (`errors.DossierError`
with its declared code: 403 for no role, 409 for a wrong turn) that the named actions raise;
the officer's dossier page shows only the actions `available()` returns, so a button is shown
exactly when its action would pass these checks, and a refused action (a stale page) says
the same reason. Where lists need a rule it is here as a query filter too, built from the
same terms as its predicate (`RECEPTION_TERMS`): `desk_receives_for` and `receivable_by`
cannot disagree, and `visible_filter` is what `queries.visible_to_official` reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Q, QuerySet

from tinhso.dossiers import errors, lifecycle
from tinhso.dossiers.errors import DossierError, NotAllowed
from tinhso.dossiers.models import Dossier
from tinhso.people.models import Role, User
from tinhso.people.queries import active_roles, agencies_where
from tinhso.places.models import Agency

Rule = Callable[[Any, Dossier], "DossierError | None"]


def role_pairs(user: Any) -> set[tuple[int, str]]:
    """(agency id, role) of every role `user` holds now."""
    return set(active_roles(user).values_list("agency_id", "role"))


# --- Decree 118/2025 reception: which desk receives for which competent agency --------------
# One term per way a desk may receive: (the dossier field it is compared with, the desk's own
# value). The predicate and the query filter are both read from this list.
def _reception_terms(desk: Agency) -> list[tuple[str, int | None]]:
    """A desk receives for the competent agency itself, as the dossier's recorded reception
    desk, for its parent (a commune's one-stop desk for its commune), and, as a one-stop
    centre, for every agency of its province (Decree 118/2025: regardless of the
    administrative boundary within the province)."""
    terms: list[tuple[str, int | None]] = [
        ("agency_id", desk.pk),
        ("reception_agency_id", desk.pk),
        ("agency_id", desk.parent_id),
    ]
    if desk.level == Agency.Level.SERVICE_CENTRE:
        terms.append(("agency__province_id", desk.province_id))
    return [(field, value) for field, value in terms if value is not None]


def desk_receives_for(desk: Agency, competent: Agency, reception_agency_id: int | None) -> bool:
    """Decree 118/2025: whether `desk` receives a dossier of `competent` (predicate)."""
    values = {
        "agency_id": competent.pk,
        "reception_agency_id": reception_agency_id,
        "agency__province_id": competent.province_id,
    }
    return any(values[field] == value for field, value in _reception_terms(desk))


def receivable_by(desks: Iterable[Agency]) -> Q:
    """The same rule as a filter on dossiers: those one of `desks` receives for."""
    condition = Q(pk__in=[])
    for desk in desks:
        for field, value in _reception_terms(desk):
            condition |= Q(**{field: value})
    return condition


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
def receiving(user: Any, dossier: Dossier) -> DossierError | None:
    """Receive or reject: a receiving officer of a desk that receives for the agency."""
    if not reception_agencies(user, dossier):
        return NotAllowed(errors.NOT_RECEIVING_OFFICER)
    return None


def performing_step(user: Any, dossier: Dossier) -> DossierError | None:
    """The current step's performer: its role in its agency, and its assignee if any."""
    if (dossier.current_agency_id, step_role(dossier)) not in role_pairs(user):
        return NotAllowed(errors.NOT_STEP_PERFORMER)
    if dossier.assignee_id and dossier.assignee_id != user.pk:
        return NotAllowed(errors.ASSIGNED_TO_ANOTHER)
    return None


def forwarding(user: Any, dossier: Dossier) -> DossierError | None:
    """Forward: the performer, and the route has a later step (else: approve or refuse)."""
    reason = performing_step(user, dossier)
    if reason:
        return reason
    current = dossier.current_step.position if dossier.current_step else 0
    if not [p for p in _step_positions(dossier) if p > current]:
        return NotAllowed(errors.LAST_STEP)
    return None


def returning_to_step(user: Any, dossier: Dossier) -> DossierError | None:
    """Send back: the performer, and there is an earlier step to send it to."""
    reason = performing_step(user, dossier)
    if reason:
        return reason
    current = dossier.current_step.position if dossier.current_step else 0
    if not [p for p in _step_positions(dossier) if p < current]:
        return NotAllowed(errors.FIRST_STEP)
    return None


def supplementing(user: Any, dossier: Dossier) -> DossierError | None:
    """Ask for a supplement: the desk before reception, the step's performer after."""
    if dossier.state == Dossier.State.RECEIVED:
        return performing_step(user, dossier)
    return receiving(user, dossier)


MANAGING_ROLES = (Role.HEAD_OF_UNIT, Role.LEADER)


def managing_step(user: Any, dossier: Dossier) -> DossierError | None:
    """Assign, apologise: the head of unit or the leader of the current step's agency (the
    officials `remind_apologies` writes to, through `MANAGING_ROLES`)."""
    agency_id = dossier.current_agency_id
    if not {(agency_id, role) for role in MANAGING_ROLES} & role_pairs(user):
        return NotAllowed(errors.NOT_STEP_MANAGER)
    return None


def assignee_filter(dossier: Dossier) -> Q:
    """Officials who may be given the current step (filter on users): an active official
    holding the step's role in the step's active agency."""
    if dossier.current_agency_id is None:
        return Q(pk__in=[])
    return Q(
        roles__agency_id=dossier.current_agency_id,
        roles__role=step_role(dossier),
        roles__agency__is_active=True,
        is_active=True,
        kind=User.Kind.OFFICIAL,
    )


def assignable(dossier: Dossier) -> QuerySet[User]:
    return User.objects.filter(assignee_filter(dossier)).distinct().order_by("full_name", "pk")


def assigning_to(to: Any, dossier: Dossier) -> DossierError | None:
    """The official chosen for the step must be one `assignable` lists (same filter)."""
    if to is None or not assignable(dossier).filter(pk=to.pk).exists():
        return errors.invalid(errors.ASSIGNEE_WITHOUT_ROLE, "to")
    return None


def assigns_somewhere(user: Any) -> bool:
    """Whether `user` heads a unit or leads an agency anywhere: the queues' bulk assignment
    is offered only then (each dossier is still checked by `managing_step`)."""
    return any(role in MANAGING_ROLES for _agency, role in role_pairs(user))


def deciding(user: Any, dossier: Dossier) -> DossierError | None:
    """Approve or refuse: a leader of the agency, at a leader step."""
    if step_role(dossier) != Role.LEADER:
        return NotAllowed(errors.NOT_AT_LEADER_STEP)
    if (dossier.current_agency_id, Role.LEADER) not in role_pairs(user):
        return NotAllowed(errors.NOT_DECIDING_LEADER)
    return None


def handling_result(user: Any, dossier: Dossier) -> DossierError | None:
    """Attach the result: a clerk or a specialist of the competent agency."""
    agency_id = dossier.agency_id
    if not {(agency_id, Role.CLERK), (agency_id, Role.SPECIALIST)} & role_pairs(user):
        return NotAllowed(errors.NOT_RESULT_HANDLER)
    return None


def marking_ready(user: Any, dossier: Dossier) -> DossierError | None:
    """Ready: as attaching the result, once there is one."""
    reason = handling_result(user, dossier)
    if reason:
        return reason
    if not dossier.results.exists():
        return NotAllowed(errors.NO_RESULT)
    return None


def returning_result(user: Any, dossier: Dossier) -> DossierError | None:
    """Return the result: a receiving officer where it was received (or of the agency), once
    no fee due before the result is still unpaid (Decree 45/2020 art. 9: the fee is paid
    before the result is handed over). The page shows why instead of the button, and
    `actions.return_result` refuses with the same code: one rule for both."""
    where = {dossier.reception_agency_id or dossier.agency_id, dossier.agency_id}
    if not {(a, Role.RECEIVING_OFFICER) for a in where} & role_pairs(user):
        return NotAllowed(errors.NOT_RETURNING_DESK)
    # imported here: the payments app reads this module (who sees a receipt)
    from tinhso.payments.queries import result_waits_for_payment

    if result_waits_for_payment(dossier):
        return DossierError(errors.RESULT_WAITS_FOR_PAYMENT)
    return None


OPINION_ROLES = frozenset({Role.SPECIALIST, Role.HEAD_OF_UNIT, Role.LEADER})


def opinion_agencies(user: Any) -> set[int]:
    """The agencies in which `user` may answer a request for an opinion."""
    return {agency_id for agency_id, role in role_pairs(user) if role in OPINION_ROLES}


def giving_opinion(user: Any, dossier: Dossier) -> DossierError | None:
    """Give an opinion: an official of an agency with an open request on this dossier."""
    if not dossier.opinions.filter(
        answered_at__isnull=True, agency_id__in=opinion_agencies(user)
    ).exists():
        return NotAllowed(errors.NOT_CONSULTED)
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


def state_refusal(dossier: Dossier, action: str) -> DossierError | None:
    """The lifecycle's refusal of `action` in the dossier's state (409), or None."""
    reason = lifecycle.refusal(dossier.state, action)
    return DossierError(errors.WRONG_STATE, reason) if reason else None


def refusal(user: Any, dossier: Dossier, action: str) -> DossierError | None:
    """Why `user` may not take `action` on `dossier` now (state first, then the person)."""
    refused = state_refusal(dossier, action)
    if refused:
        return refused
    rule = RULES.get(action)
    if rule is None:
        return NotAllowed(errors.NOT_AT_DESK)
    return rule(user, dossier)


def available(user: Any, dossier: Dossier) -> list[str]:
    """The back-office actions `user` may take on `dossier` now, in the lifecycle's order."""
    return [
        action
        for action in lifecycle.allowed(dossier.state)
        if action in RULES and refusal(user, dossier, action) is None
    ]


# --- who may see a dossier (the filter of `queries.visible_to_official`) -----------------------
def visible_filter(user: Any) -> Q:
    """Dossiers an official may see: those of an agency where they hold a role (competent
    agency, reception desk, current step, any step the dossier went through, an agency asked
    for its opinion), and the online dossiers waiting for a desk where they may receive them
    (Decree 118/2025, `receivable_by`). Drafts are never visible to officials."""
    ids = set(active_roles(user).values_list("agency_id", flat=True))
    if not ids:
        return Q(pk__in=[])
    desks = list(agencies_where(user, Role.RECEIVING_OFFICER))
    waiting = Q(state=Dossier.State.SUBMITTED) & receivable_by(desks)
    involved = (
        Q(agency_id__in=ids)
        | Q(reception_agency_id__in=ids)
        | Q(current_agency_id__in=ids)
        | Q(step_records__agency_id__in=ids)
        | Q(opinions__agency_id__in=ids)
    )
    return (involved | waiting) & ~Q(state=Dossier.State.DRAFT)


def visible_to_official(user: Any) -> QuerySet[Dossier]:
    return Dossier.objects.filter(visible_filter(user)).distinct()


def sees(user: Any, dossier: Dossier) -> bool:
    """Whether `dossier` is within the official's reach (else: 404, never 403)."""
    return visible_to_official(user).filter(pk=dossier.pk).exists()


def enforce(user: Any, dossier: Dossier, refused: DossierError | None) -> None:
    """Raise `refused`; a refusal for lack of a role on a dossier the official cannot even
    see is "not found", so its existence does not leak."""
    if refused is None:
        return
    if isinstance(refused, NotAllowed) and dossier.pk and not sees(user, dossier):
        raise NotAllowed(errors.DOSSIER_NOT_FOUND)
    raise refused
