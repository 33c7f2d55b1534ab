"""Who may take each step on an official document: every write rule once, for the actions,
the pages (which steps a document's page offers) and the API alike.

Legal source: Decree 30/2020/NĐ-CP. Điều 10 (the head of the agency assigns drafting to a
unit or an official), Điều 13 (the competent person signs), Điều 14–16 (the clerk issues the
number, registers, adds the agency's signature and issues), Điều 20–22 (the clerk receives
and registers incoming documents), Điều 24 (the leader directs and assigns; the units and
people assigned handle them; the clerk follows up). The decisions are in docs/documents.md
("Who may do what").

A rule takes the person and the document and returns None when they may take the step, or
the refusal (a `DocumentError` with its declared code) when not. The person's role is asked
first (FORBIDDEN: they see the document but hold no role for this step), then the document's
state or turn (CONFLICT). An action raises the refusal (`require`), inside its transaction,
with the document locked; a page offers a step exactly when its rule returns None (`offers`).
Where a list needs a rule, its query filter stands beside it (`drafting_agencies`,
`reviewers`, `signers`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet

from tinhso.documents import errors
from tinhso.documents.errors import DocumentError
from tinhso.documents.models import Assignment, Direction, Document, ReviewStep
from tinhso.people.models import Role, User
from tinhso.people.queries import active_roles, has_role
from tinhso.places.models import Agency

Rule = Callable[[Any, Document], "DocumentError | None"]

# Điều 10: the head of the agency may give the drafting to any of its officials; these are
# the roles an official of an agency holds in tinhso.
DRAFTING_ROLES = (Role.SPECIALIST, Role.HEAD_OF_UNIT, Role.CLERK, Role.LEADER)
REVIEWING_ROLES = (Role.HEAD_OF_UNIT, Role.LEADER)
LINKING_ROLES = DRAFTING_ROLES


def _roles(user: Any, agency: Agency | int) -> set[str]:
    """The roles `user` holds in `agency` now (one query)."""
    agency_id = agency if isinstance(agency, int) else agency.pk
    return set(active_roles(user).filter(agency_id=agency_id).values_list("role", flat=True))


def _pk(user: Any) -> int | None:
    return getattr(user, "pk", None)


def _wrong_state(doc: Document) -> DocumentError:
    return DocumentError(errors.WRONG_STATE, state=doc.get_state_display())


# --- who the lists offer ---------------------------------------------------------------------


def may_be_assigned(user: Any, agency: Agency) -> bool:
    """Who a document of `agency` may be assigned to by name: an official of the agency or
    of one of its units."""
    return active_roles(user).filter(Q(agency=agency) | Q(agency__parent=agency)).exists()


def may_draft(user: Any, agency: Agency) -> bool:
    return bool(_roles(user, agency) & set(DRAFTING_ROLES))


def drafting_agencies(user: Any) -> QuerySet[Agency]:
    """The agencies `user` may draft for (the new-draft page's choice): `may_draft`."""
    return (
        Agency.objects.filter(
            pk__in=active_roles(user).filter(role__in=DRAFTING_ROLES).values("agency_id")
        )
        .filter(is_active=True)
        .order_by("code")
    )


def may_review(user: Any, agency: Agency) -> bool:
    """A reviewer in a review chain: a head of unit or a leader of the agency."""
    return getattr(user, "is_active", False) and bool(_roles(user, agency) & set(REVIEWING_ROLES))


def reviewers(agency: Agency) -> QuerySet[User]:
    """Who may be put in a review chain of `agency`'s drafts: `may_review`."""
    return (
        User.objects.filter(
            roles__agency=agency,
            roles__role__in=REVIEWING_ROLES,
            kind=User.Kind.OFFICIAL,
            is_active=True,
        )
        .distinct()
        .order_by("full_name")
    )


def may_sign(user: Any, agency: Agency) -> bool:
    """Điều 13: the competent signer of an agency's document is one of its leaders (the head
    or a deputy signing KT.)."""
    return getattr(user, "is_active", False) and has_role(user, Role.LEADER, agency)


def signers(agencies: QuerySet[Agency]) -> QuerySet[User]:
    """Who may be named the signer of a draft of one of `agencies`: `may_sign`."""
    return (
        User.objects.filter(
            roles__agency__in=agencies,
            roles__role=Role.LEADER,
            kind=User.Kind.OFFICIAL,
            is_active=True,
        )
        .distinct()
        .order_by("full_name")
    )


def may_record_progress(user: Any, assignment: Assignment) -> bool:
    """The assignee, an official of the assigned unit, or a leader of the document's agency."""
    if not getattr(user, "is_active", False) or not _pk(user):
        return False
    if assignment.assignee_id == user.pk:
        return True
    if assignment.unit is not None and active_roles(user).filter(agency=assignment.unit).exists():
        return True
    return has_role(user, Role.LEADER, assignment.document.agency)


def handles(user: Any, doc: Document) -> bool:
    """Điều 24: a leader of the agency, or someone the document is (or was) assigned to:
    by name, or an official of the assigned unit."""
    if not _pk(user) or not getattr(user, "is_active", False):
        return False
    if Role.LEADER in _roles(user, doc.agency_id):
        return True
    items = doc.assignments.select_related("unit", "document__agency")
    return any(may_record_progress(user, a) for a in items)


# --- creating --------------------------------------------------------------------------------


def creating_draft(user: Any, agency: Agency, signer: Any) -> DocumentError | None:
    """Điều 10: an official of the agency drafts; Điều 13: the named signer is its leader."""
    if not may_draft(user, agency):
        return DocumentError(errors.MAY_NOT_DRAFT)
    if signer is not None and not may_sign(signer, agency):
        return errors.invalid(errors.SIGNER_NOT_LEADER, "signer_username")
    return None


def recording_paper(user: Any, agency: Agency) -> DocumentError | None:
    """Điều 20–21: the clerk receives a paper document."""
    if Role.CLERK not in _roles(user, agency):
        return DocumentError(errors.NOT_CLERK)
    return None


# --- incoming --------------------------------------------------------------------------------


def _incoming_in(doc: Document, states: tuple[str, ...], code: Any) -> DocumentError | None:
    if doc.direction != Direction.INCOMING or doc.state not in states:
        return DocumentError(code)
    return None


def registering(user: Any, doc: Document) -> DocumentError | None:
    """Điều 22: the clerk registers (vào sổ) a received document; or refuses it (02)."""
    if Role.CLERK not in _roles(user, doc.agency_id):
        return DocumentError(errors.NOT_CLERK)
    return _incoming_in(doc, (Document.State.RECEIVED,), errors.NOT_RECEIVED)


rejecting = registering


def assigning(user: Any, doc: Document) -> DocumentError | None:
    """Điều 24.1: the leader assigns a registered document (again, while it is assigned)."""
    if Role.LEADER not in _roles(user, doc.agency_id):
        return DocumentError(errors.NOT_LEADER)
    return _incoming_in(
        doc, (Document.State.REGISTERED, Document.State.ASSIGNED), errors.NOT_REGISTERED
    )


def recording_progress(user: Any, doc: Document) -> DocumentError | None:
    """Điều 24.2: those handling it record progress on an assigned document."""
    if not handles(user, doc):
        return DocumentError(errors.NOT_HANDLER)
    return _incoming_in(doc, (Document.State.ASSIGNED,), errors.NOT_ASSIGNED)


def finishing(user: Any, doc: Document) -> DocumentError | None:
    """Điều 24: the leader, or those assigned, close the handling; not the clerk, who
    follows up but does not handle."""
    if not handles(user, doc):
        return DocumentError(errors.NOT_HANDLER)
    return _incoming_in(
        doc, (Document.State.REGISTERED, Document.State.ASSIGNED), errors.NOT_HANDLING
    )


def answering_change(user: Any, doc: Document) -> DocumentError | None:
    """The clerk answers the sender's recall, revoke, update or replace (15 or 16)."""
    if Role.CLERK not in _roles(user, doc.agency_id):
        return DocumentError(errors.NOT_CLERK)
    if not doc.pending_change:
        return DocumentError(errors.NO_PENDING_CHANGE)
    return None


def linking(user: Any, doc: Document) -> DocumentError | None:
    """Any official of the agency, and those it is assigned to, relate it to other documents
    and dossiers (a working note, in any state)."""
    if _roles(user, doc.agency_id) & set(LINKING_ROLES) or handles(user, doc):
        return None
    return DocumentError(errors.MAY_NOT_LINK)


# --- outgoing --------------------------------------------------------------------------------


def _drafter(user: Any, doc: Document) -> DocumentError | None:
    """The drafter (`created_by`) while they may still draft for the agency; a draft with no
    recorded drafter (imported, made by a command) is any drafting official's."""
    if not may_draft(user, doc.agency):
        return DocumentError(errors.MAY_NOT_DRAFT)
    if doc.created_by_id is not None and doc.created_by_id != _pk(user):
        return DocumentError(errors.NOT_DRAFTER)
    return None


def submitting(user: Any, doc: Document) -> DocumentError | None:
    """The drafter submits a draft (never submitted, or returned) to its review chain."""
    refused = _drafter(user, doc)
    if refused is None and (
        doc.direction != Direction.OUTGOING or doc.state != Document.State.DRAFT
    ):
        return _wrong_state(doc)
    return refused


def revising(user: Any, doc: Document) -> DocumentError | None:
    """The drafter uploads a new version of a draft that is not under review."""
    refused = _drafter(user, doc)
    if refused is None and (
        doc.direction != Direction.OUTGOING or doc.state != Document.State.DRAFT
    ):
        return DocumentError(errors.NOT_REVISABLE)
    return refused


def current_step(doc: Document) -> ReviewStep | None:
    """The pending step of the current round: whose turn it is to review."""
    pending = doc.review_steps.filter(state=ReviewStep.State.PENDING)
    return pending.order_by("-round", "position").first()


def _reviewing(user: Any, doc: Document) -> DocumentError | None:
    step = current_step(doc)
    if step is None:
        return _wrong_state(doc)
    if step.reviewer_id == _pk(user):
        return None
    in_round = doc.review_steps.filter(round=step.round, reviewer_id=_pk(user)).exists()
    return DocumentError(errors.NOT_YOUR_TURN if in_round else errors.NOT_REVIEWER)


def is_direct_approval(doc: Document) -> bool:
    """A draft never submitted, approved at once by its competent signer."""
    return doc.state == Document.State.DRAFT and not doc.review_steps.exists()


def approving(user: Any, doc: Document) -> DocumentError | None:
    """The current reviewer of the chain (the person named, still a head of unit or leader);
    or, for a draft never submitted, its named signer (or, with none named, any reviewer)."""
    if not may_review(user, doc.agency):
        return DocumentError(errors.NOT_REVIEWER)
    if doc.direction != Direction.OUTGOING:
        return _wrong_state(doc)
    if is_direct_approval(doc):
        if doc.signer_id is not None and doc.signer_id != _pk(user):
            return DocumentError(errors.NOT_DIRECT_APPROVER)
        return None
    if doc.state != Document.State.IN_REVIEW:
        return _wrong_state(doc)
    return _reviewing(user, doc)


def returning(user: Any, doc: Document) -> DocumentError | None:
    """The current reviewer returns the draft to the drafter."""
    if not may_review(user, doc.agency):
        return DocumentError(errors.NOT_REVIEWER)
    if doc.direction != Direction.OUTGOING or doc.state != Document.State.IN_REVIEW:
        return _wrong_state(doc)
    return _reviewing(user, doc)


def signing(user: Any, doc: Document) -> DocumentError | None:
    """Điều 13: a leader of the agency, the one named as signer when there is one, signs an
    approved draft."""
    if not may_sign(user, doc.agency):
        return DocumentError(errors.NOT_LEADER)
    if doc.signer_id is not None and doc.signer_id != _pk(user):
        return DocumentError(errors.NOT_SIGNER)
    if doc.direction != Direction.OUTGOING or doc.state != Document.State.APPROVED:
        return DocumentError(errors.NOT_APPROVED)
    return None


def issuing(user: Any, doc: Document) -> DocumentError | None:
    """Điều 14–16: the clerk issues the number, adds the agency's signature and sends it."""
    if Role.CLERK not in _roles(user, doc.agency_id):
        return DocumentError(errors.NOT_CLERK)
    if doc.direction != Direction.OUTGOING or doc.state != Document.State.SIGNED:
        return DocumentError(errors.NOT_SIGNED)
    return None


def _after_issue(user: Any, doc: Document) -> DocumentError | None:
    if not _roles(user, doc.agency_id) & {Role.CLERK, Role.LEADER}:
        return DocumentError(errors.NOT_CLERK_OR_LEADER)
    if doc.direction != Direction.OUTGOING or doc.state != Document.State.ISSUED:
        return DocumentError(errors.NOT_ISSUED)
    return None


def recalling(user: Any, doc: Document) -> DocumentError | None:
    """The clerk or a leader withdraws an issued document (status 13)."""
    return _after_issue(user, doc)


def updating(user: Any, doc: Document) -> DocumentError | None:
    """The clerk or a leader sends a corrected file of an issued document (edXML update)."""
    return _after_issue(user, doc)


# --- one place for all of them ---------------------------------------------------------------

# The step of a document → its rule. The pages' step names; `tests/documents/
# test_page_api_parity.py` walks each one through the page and the API.
RULES: dict[str, Rule] = {
    "register": registering,
    "reject": rejecting,
    "assign": assigning,
    "progress": recording_progress,
    "finish": finishing,
    "answer": answering_change,
    "link": linking,
    "submit": submitting,
    "revise": revising,
    "approve": approving,
    "return": returning,
    "sign": signing,
    "issue": issuing,
    "recall": recalling,
    "update": updating,
}


def require(rule: Rule, user: Any, doc: Document) -> None:
    """Raise the rule's refusal, if any."""
    refused = rule(user, doc)
    if refused is not None:
        raise refused


def offers(user: Any, doc: Document) -> dict[str, bool]:
    """Which steps `user` may take on `doc` now (the buttons of the document's page)."""
    return {step: rule(user, doc) is None for step, rule in RULES.items()}
