"""Read-only: the documents waiting for one official ("việc của tôi"), overdue first.

Legal source: Decree 30/2020/NĐ-CP Điều 20–24 (the clerk registers incoming documents the day
they arrive and submits them to the leader, who assigns them with handling deadlines; the
assigned officials handle them; outgoing documents are approved, signed, then issued by the
clerk, Điều 14–16). Each task below is one of those steps, for the roles the user holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from tinhso.documents.models import Assignment, Direction, Document, ReviewStep, Urgency
from tinhso.people.models import Role
from tinhso.people.queries import active_roles

LIMIT = 200  # per task: a list longer than this is a backlog for the register, not a to-do

# (key, label) in the order a working day takes them.
TASKS = (
    ("register", _("Chờ vào sổ")),
    ("change", _("Nơi gửi đề nghị thu hồi, cập nhật")),
    ("assign", _("Chờ phân công")),
    ("handle", _("Được giao xử lý")),
    ("returned", _("Dự thảo bị trả lại")),
    ("approve", _("Chờ duyệt")),
    ("sign", _("Chờ ký")),
    ("issue", _("Chờ phát hành")),
)
_URGENCY_RANK = {Urgency.EXPRESS: 0, Urgency.VERY_URGENT: 1, Urgency.URGENT: 2}


@dataclass(frozen=True)
class Task:
    """One thing to do on one document."""

    kind: str
    label: str
    document: Document
    deadline: datetime | None
    overdue: bool


def _agencies(user: Any, role: str) -> list[int]:
    return list(active_roles(user).filter(role=role).values_list("agency_id", flat=True))


def tasks(user: Any, now: datetime) -> list[Task]:
    """Every task waiting for `user`: overdue first, then the nearest deadline, then the most
    urgent, then the oldest."""
    labels = dict(TASKS)
    clerk, leader = _agencies(user, Role.CLERK), _agencies(user, Role.LEADER)
    docs = Document.objects.select_related("agency")
    found: list[Task] = []

    def add(kind: str, rows: Any) -> None:
        for doc in rows[:LIMIT]:
            found.append(Task(kind, str(labels[kind]), doc, None, False))

    add(
        "register",
        docs.filter(
            agency_id__in=clerk, direction=Direction.INCOMING, state=Document.State.RECEIVED
        ).order_by("created_at"),
    )
    add(
        "change",
        docs.filter(agency_id__in=clerk, direction=Direction.INCOMING)
        .exclude(pending_change="")
        .order_by("updated_at"),
    )
    add(
        "assign",
        docs.filter(
            agency_id__in=leader, direction=Direction.INCOMING, state=Document.State.REGISTERED
        ).order_by("registered_at"),
    )
    mine = set(active_roles(user).values_list("agency_id", flat=True))
    handling = (
        Assignment.objects.filter(
            Q(assignee=user) | Q(assignee__isnull=True, unit_id__in=mine),
            state__in=Assignment.ACTIVE,
            document__state=Document.State.ASSIGNED,
        )
        .select_related("document__agency")
        .order_by("deadline")[:LIMIT]
    )
    seen: set[int] = set()
    for item in handling:
        if item.document_id in seen:
            continue
        seen.add(item.document_id)
        found.append(
            Task(
                "handle",
                str(labels["handle"]),
                item.document,
                item.deadline,
                item.deadline < now,
            )
        )
    # Returned drafts: the drafter's, back in DRAFT after a round that ended in a return.
    add(
        "returned",
        docs.filter(created_by=user, direction=Direction.OUTGOING, state=Document.State.DRAFT)
        .filter(review_steps__state=ReviewStep.State.RETURNED)
        .distinct()
        .order_by("updated_at"),
    )
    # The current step of a round is the pending one with no pending step before it.
    earlier = ReviewStep.objects.filter(
        document=OuterRef("document"),
        round=OuterRef("round"),
        state=ReviewStep.State.PENDING,
        position__lt=OuterRef("position"),
    )
    turns = (
        ReviewStep.objects.filter(
            reviewer=user,
            state=ReviewStep.State.PENDING,
            document__state=Document.State.IN_REVIEW,
        )
        .exclude(Exists(earlier))
        .values("document_id")
    )
    add("approve", docs.filter(pk__in=turns).order_by("updated_at"))
    add(
        "sign",
        docs.filter(direction=Direction.OUTGOING, state=Document.State.APPROVED)
        .filter(Q(signer=user) | Q(signer__isnull=True, agency_id__in=leader))
        .order_by("updated_at"),
    )
    add(
        "issue",
        docs.filter(
            agency_id__in=clerk, direction=Direction.OUTGOING, state=Document.State.SIGNED
        ).order_by("updated_at"),
    )
    far = datetime.max.replace(tzinfo=now.tzinfo)
    found.sort(
        key=lambda t: (
            not t.overdue,
            t.deadline or far,
            _URGENCY_RANK.get(Urgency(t.document.urgency), 3),
            t.document.created_at,
        )
    )
    return found


def counts(found: list[Task]) -> list[tuple[str, str, int]]:
    """(key, label, how many) for each task kind, in working order."""
    return [(key, str(label), sum(1 for t in found if t.kind == key)) for key, label in TASKS]
