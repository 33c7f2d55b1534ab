"""The one table of dossier states and the actions allowed in each: pure, no I/O.

Legal source: Decree 118/2025/NĐ-CP (one-stop shop: reception, Mẫu 01 receipt, Mẫu 02
supplement request, Mẫu 03 refusal to receive, processing, Mẫu 04 apology and new
appointment, returning the result, withdrawal before processing starts).

`ACTIONS` names every action, who performs it and the states it may start from; the named
functions in `actions.py` check `refusal(state, action)` first, then their own preconditions
(step, role, agency). "Extended" is not a state: an apology with a new appointment keeps the
dossier in processing and is recorded beside it (`Apology`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tinhso.dossiers.models import Dossier

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

S = Dossier.State


@dataclass(frozen=True)
class Action:
    name: str
    label: StrOrPromise  # as on the buttons and in refusals, in the active language
    performer: str  # who: "citizen", or the role(s) and where (see actions.py)
    from_states: frozenset[str]
    to_state: str | None  # None: stays in its state (or depends, see `answer_supplement`)


def _a(name: str, label: StrOrPromise, performer: str, states: set[str], to: str | None) -> Action:
    return Action(name, label, performer, frozenset(states), to)


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        _a("submit", gettext_lazy("nộp hồ sơ"), "citizen (owner)", {S.DRAFT}, S.SUBMITTED),
        _a("withdraw", gettext_lazy("rút hồ sơ"), "citizen (owner)", {S.SUBMITTED}, S.WITHDRAWN),
        _a(
            "receive",
            gettext_lazy("tiếp nhận hồ sơ"),
            "receiving officer at the competent agency or a one-stop centre of the province",
            {S.SUBMITTED},
            S.RECEIVED,
        ),
        _a(
            "request_supplement",
            gettext_lazy("yêu cầu bổ sung hồ sơ"),
            "receiving officer (before reception) or the current step's performer",
            {S.SUBMITTED, S.RECEIVED},
            S.SUPPLEMENT_REQUESTED,
        ),
        _a(
            "answer_supplement",
            gettext_lazy("nộp bổ sung hồ sơ"),
            "citizen (owner)",
            {S.SUPPLEMENT_REQUESTED},
            None,  # back to submitted (asked at reception) or received (asked in processing)
        ),
        _a(
            "reject",
            gettext_lazy("từ chối tiếp nhận hồ sơ"),
            "receiving officer",
            {S.SUBMITTED},
            S.REJECTED,
        ),
        _a(
            "assign",
            gettext_lazy("phân công xử lý"),
            "head of unit or leader in the current step's agency",
            {S.RECEIVED},
            S.RECEIVED,
        ),
        _a(
            "forward",
            gettext_lazy("chuyển bước tiếp theo"),
            "the current step's performer",
            {S.RECEIVED},
            S.RECEIVED,
        ),
        _a(
            "request_opinions",
            gettext_lazy("xin ý kiến các cơ quan"),
            "the current step's performer",
            {S.RECEIVED},
            S.RECEIVED,
        ),
        _a(
            "give_opinion",
            gettext_lazy("cho ý kiến"),
            "specialist, head of unit or leader of an agency asked for its opinion",
            {S.RECEIVED},
            S.RECEIVED,
        ),
        _a(
            "return_to_step",
            gettext_lazy("trả lại bước trước"),
            "the current step's performer",
            {S.RECEIVED},
            S.RECEIVED,
        ),
        _a(
            "extend",
            gettext_lazy("xin lỗi và hẹn lại ngày trả kết quả"),
            "head of unit or leader of the agency at fault (the current step's agency)",
            {S.RECEIVED},
            S.RECEIVED,
        ),
        _a(
            "approve",
            gettext_lazy("phê duyệt"),
            "leader, at a leader step",
            {S.RECEIVED},
            S.APPROVED,
        ),
        _a(
            "refuse",
            gettext_lazy("từ chối giải quyết"),
            "leader, at a leader step",
            {S.RECEIVED},
            S.REFUSED,
        ),
        _a(
            "attach_result",
            gettext_lazy("đính kèm kết quả"),
            "clerk or specialist of the competent agency",
            {S.APPROVED},
            S.APPROVED,
        ),
        _a(
            "mark_ready",
            gettext_lazy("xác nhận đã có kết quả"),
            "clerk or specialist of the competent agency",
            {S.APPROVED},
            S.RESULT_READY,
        ),
        _a(
            "return_result",
            gettext_lazy("trả kết quả"),
            "receiving officer at the reception desk (or the competent agency)",
            {S.RESULT_READY, S.REFUSED},
            S.RETURNED,
        ),
    ]
}

BACK_OFFICE = [
    "receive",
    "request_supplement",
    "reject",
    "assign",
    "forward",
    "request_opinions",
    "give_opinion",
    "return_to_step",
    "extend",
    "approve",
    "refuse",
    "attach_result",
    "mark_ready",
    "return_result",
]

# states in which the legal clock runs (the dossier is the administration's to move)
CLOCK_RUNNING = frozenset({S.RECEIVED})
FINISHED = frozenset({S.APPROVED, S.REFUSED, S.RESULT_READY, S.RETURNED})
CLOSED = frozenset({S.RETURNED, S.REJECTED, S.WITHDRAWN})


def allowed(state: str) -> list[str]:
    """The actions that may start from `state`, in table order."""
    return [name for name, a in ACTIONS.items() if state in a.from_states]


def refusal(state: str, action: str) -> str | None:
    """Why `action` may not start from `state` (in the active language), or None if allowed."""
    entry = ACTIONS.get(action)
    if entry is None:
        return _("Thao tác không tồn tại: %(action)s.") % {"action": action}
    if state in entry.from_states:
        return None
    label = S(state).label if state in S.values else state
    return _("Không thể %(action)s khi hồ sơ ở trạng thái “%(state)s”.") % {
        "action": entry.label,
        "state": label,
    }
