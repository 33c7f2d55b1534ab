"""Fees as data: what a dossier owes, computed from its procedure version and its e-form.

Legal sources: Law on Fees and Charges 2015 (Luật Phí và lệ phí, No. 97/2015/QH13: phí and
lệ phí are distinct kinds, exemptions are set per category of payer, art. 10); Decree
45/2020/NĐ-CP art. 9 (the fee is shown before the citizen pays online); Circular
75/2022/TT-BTC and others of its kind (amounts per copy, per person, and lower online rates).

A procedure version's `fees` is a JSON list. A line in the full shape:

    {"kind": "le_phi",                  # "phi" or "le_phi"
     "code": "LP01",                    # unique within the version
     "name": "Lệ phí đăng ký thường trú",
     "amount": 10000,                   # VND; the default when `by` does not name the answer
     "due": "submission",               # "submission" | "before_result" | "none"
     "per": "so_ban_sao",               # optional: amount × this integer answer
     "by": {"field": "doi_tuong",       # optional: amount chosen by an answer
            "amounts": {"sinh_vien": 100000}},
     "max": 200000,                     # optional: cap on the line (after `per`)
     "channels": ["online"],            # optional: only for dossiers sent this way
     "exempt": {"field": "doi_tuong",   # optional: payers of these categories pay nothing
                "values": ["ho_ngheo", "nguoi_co_cong"]},
     "note": "Thông tư 75/2022/TT-BTC"}

Lines imported before this shape (`{"name", "amount", "note"}`) are still read: the kind comes
from the name ("Lệ phí ..." or "Phí ..."), the channel from a "(nộp trực tuyến)" style suffix
the national portal's export adds, and a non-zero amount is due at submission.

`compute()` is pure: no database, no clock. Bad data (a line the catalogue should not have
accepted) raises `FeeError` with the declared code `payments.fee_data_invalid`; an answer that
cannot price a line (copies "ba") raises it with `payments.fee_answer_invalid` and the form
field. Nothing else escapes: a TypeError from odd JSON is a bug this module's tests look for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext as _

from tinhso.core.text import normalize
from tinhso.payments import errors

KINDS = ("phi", "le_phi")
DUES = ("submission", "before_result", "none")
CHANNELS = ("online", "counter", "post")
MAX_AMOUNT = 100_000_000_000  # 100 billion đồng: above any fee, below any integer trouble
MAX_QUANTITY = 1_000

# "(nộp trực tuyến)" and its siblings, as the national portal's export names channel prices
_LEGACY_CHANNEL = {
    "nộp trực tuyến": "online",
    "nộp trực tiếp": "counter",
    "nộp bưu chính": "post",
}
_LEGACY_SUFFIX = re.compile(r"\((nộp trực tuyến|nộp trực tiếp|nộp bưu chính)\)\s*$")
# "(nếu yêu cầu)", "(nếu có)", "(khi ...)": a fee owed only in a case the old free-text table
# cannot tell from the answers (a copy asked for, an overdue registration). It is shown but
# charged nobody until the table says how (`per`, `by`), never charged to everyone.
_LEGACY_CONDITIONAL = re.compile(r"\((?:nếu|khi|trường hợp)\b[^)]*\)", re.IGNORECASE)


@dataclass(frozen=True)
class ChargeLine:
    """One line of a dossier's charge as the citizen sees it and as it is frozen."""

    kind: str
    code: str
    name: str
    due: str
    unit_amount: int
    quantity: int
    amount: int  # what is owed for this line
    exempt: bool = False
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Computed:
    lines: tuple[ChargeLine, ...]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    def due(self, due: str) -> tuple[ChargeLine, ...]:
        return tuple(line for line in self.lines if line.due == due)

    def total_due(self, due: str) -> int:
        return sum(line.amount for line in self.due(due))


class FeeError(errors.PaymentError):
    """The fee table or the answers cannot give a price; nothing was computed."""


def _whole(text: str) -> bool:
    """ASCII digits only: `str.isdigit()` also takes "²", which `int()` refuses."""
    return text.isascii() and text.isdecimal()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad(index: int, message: str) -> FeeError:
    return FeeError(
        errors.FEE_DATA_INVALID,
        _("Khoản phí, lệ phí thứ %(n)s: %(why)s") % {"n": index + 1, "why": message},
        fields={"fees": message},
    )


def _amount(value: Any, index: int, what: str) -> int:
    if not _is_int(value) or not 0 <= value <= MAX_AMOUNT:
        raise _bad(index, _("%(what)s phải là số nguyên đồng, không âm.") % {"what": what})
    return int(value)


def _legacy_kind(name: str) -> str:
    lowered = name.casefold()
    return "le_phi" if lowered.startswith("lệ phí") else "phi"


@dataclass(frozen=True)
class FeeRule:
    """One validated line of the fee table."""

    kind: str
    code: str
    name: str
    amount: int
    due: str
    per: str = ""
    by_field: str = ""
    by_amounts: tuple[tuple[str, int], ...] = ()
    cap: int | None = None
    channels: tuple[str, ...] = CHANNELS
    exempt_field: str = ""
    exempt_values: tuple[str, ...] = ()
    note: str = ""


def _field_name(value: Any, index: int, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(index, _("“%(key)s” phải là tên một trường của tờ khai.") % {"key": key})
    return value.strip()


def parse_line(raw: Any, index: int) -> FeeRule:
    """One line of `ProcedureVersion.fees`, checked (FeeError on bad data)."""
    if not isinstance(raw, Mapping):
        raise _bad(index, _("mỗi khoản phải là một đối tượng JSON."))
    name_value = raw.get("name")
    if not isinstance(name_value, str) or not normalize(name_value).strip():
        raise _bad(index, _("thiếu tên khoản thu."))
    name = normalize(name_value).strip()
    note = normalize(str(raw.get("note") or "")).strip()
    legacy = "due" not in raw and "kind" not in raw
    amount = _amount(raw.get("amount", 0), index, _("Mức thu"))
    if legacy:
        suffix = _LEGACY_SUFFIX.search(name)
        return FeeRule(
            kind=_legacy_kind(name),
            code=str(raw.get("code") or f"K{index + 1:02d}"),
            name=name,
            amount=amount,
            due="submission" if amount and not _LEGACY_CONDITIONAL.search(name) else "none",
            channels=(_LEGACY_CHANNEL[suffix.group(1)],) if suffix else CHANNELS,
            note=note,
        )
    kind = raw.get("kind")
    if kind not in KINDS:
        raise _bad(index, _("loại khoản thu phải là “phi” hoặc “le_phi”."))
    due = raw.get("due", "submission")
    if due not in DUES:
        raise _bad(index, _("thời điểm nộp phải là submission, before_result hoặc none."))
    code = raw.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > 40:
        raise _bad(index, _("thiếu mã khoản thu (tối đa 40 ký tự)."))
    per = _field_name(raw["per"], index, "per") if raw.get("per") is not None else ""
    by_field = ""
    by_amounts: tuple[tuple[str, int], ...] = ()
    if raw.get("by") is not None:
        by = raw["by"]
        if not isinstance(by, Mapping) or not isinstance(by.get("amounts"), Mapping):
            raise _bad(index, _("“by” cần “field” và bảng “amounts”."))
        by_field = _field_name(by.get("field"), index, "by.field")
        by_amounts = tuple(
            (str(answer), _amount(value, index, _("Mức thu theo đối tượng")))
            for answer, value in by["amounts"].items()
        )
    cap = None
    if raw.get("max") is not None:
        cap = _amount(raw["max"], index, _("Mức thu tối đa"))
    channels: tuple[str, ...] = CHANNELS
    if raw.get("channels") is not None:
        given = raw["channels"]
        if (
            not isinstance(given, Sequence)
            or isinstance(given, str)
            or not given
            or any(c not in CHANNELS for c in given)
        ):
            raise _bad(index, _("kênh nộp chỉ gồm online, counter, post."))
        channels = tuple(c for c in CHANNELS if c in given)
    exempt_field = ""
    exempt_values: tuple[str, ...] = ()
    if raw.get("exempt") is not None:
        exempt = raw["exempt"]
        values = exempt.get("values") if isinstance(exempt, Mapping) else None
        if (
            not isinstance(values, Sequence)
            or isinstance(values, str)
            or not values
            or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values)
        ):
            raise _bad(index, _("“exempt” cần “field” và danh sách “values”."))
        exempt_field = _field_name(exempt.get("field"), index, "exempt.field")
        exempt_values = tuple(str(v) for v in values)
    return FeeRule(
        kind=kind,
        code=code.strip(),
        name=name,
        amount=amount,
        due=due,
        per=per,
        by_field=by_field,
        by_amounts=by_amounts,
        cap=cap,
        channels=channels,
        exempt_field=exempt_field,
        exempt_values=exempt_values,
        note=note,
    )


def parse(fees: Any) -> list[FeeRule]:
    """The whole fee table, checked: a list of lines with distinct codes."""
    if fees in (None, ""):
        return []
    if not isinstance(fees, Sequence) or isinstance(fees, str | bytes):
        raise FeeError(
            errors.FEE_DATA_INVALID,
            _("Bảng phí, lệ phí phải là một danh sách."),
            fields={"fees": _("Bảng phí, lệ phí phải là một danh sách.")},
        )
    rules = [parse_line(raw, index) for index, raw in enumerate(fees)]
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        if rule.code in seen:
            raise _bad(index, _("mã khoản thu “%(code)s” bị trùng.") % {"code": rule.code})
        seen.add(rule.code)
    return rules


def validate(fees: Any) -> dict[str, str]:
    """{"fees": message} when the table is unusable, {} when it is good: what a catalogue
    form shows beside its fee input."""
    try:
        parse(fees)
    except FeeError as exc:
        return {"fees": exc.message}
    return {}


def _answer_text(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value if not isinstance(v, dict | list)]
    if value is None or isinstance(value, dict):
        return []
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [str(value)]


def _quantity(rule: FeeRule, answers: Mapping[str, Any]) -> int:
    if not rule.per:
        return 1
    value = answers.get(rule.per)
    if value in (None, ""):
        return 0
    if isinstance(value, str) and _whole(value.strip()):
        value = int(value.strip())
    if not _is_int(value) or not 0 <= value <= MAX_QUANTITY:
        message = _("Số lượng phải là số nguyên từ 0 đến %(max)s.") % {"max": MAX_QUANTITY}
        raise FeeError(errors.FEE_ANSWER_INVALID, message, fields={rule.per: message})
    return int(value)


def _unit_amount(rule: FeeRule, answers: Mapping[str, Any]) -> int:
    if not rule.by_field:
        return rule.amount
    table = dict(rule.by_amounts)
    for answer in _answer_text(answers.get(rule.by_field)):
        if answer in table:
            return table[answer]
    return rule.amount


def _is_exempt(rule: FeeRule, answers: Mapping[str, Any]) -> bool:
    if not rule.exempt_field:
        return False
    given = set(_answer_text(answers.get(rule.exempt_field)))
    return bool(given & set(rule.exempt_values))


def compute(fees: Any, answers: Any, *, channel: str = "online") -> Computed:
    """Every line a dossier sent through `channel` owes, with its due point, from the version's
    `fees` and the dossier's e-form `answers`. Lines due "none" and lines of other channels
    are left out; an exempt line is kept with amount 0 so the citizen sees why."""
    rules = parse(fees)
    if channel not in CHANNELS:
        raise FeeError(errors.FEE_DATA_INVALID, fields={"channel": channel})
    answers = answers if isinstance(answers, Mapping) else {}
    lines = []
    for rule in rules:
        if rule.due == "none" or channel not in rule.channels:
            continue
        quantity = _quantity(rule, answers)
        unit = _unit_amount(rule, answers)
        amount = unit * quantity
        if rule.cap is not None:
            amount = min(amount, rule.cap)
        exempt = _is_exempt(rule, answers)
        if amount == 0 and not exempt:
            continue
        lines.append(
            ChargeLine(
                kind=rule.kind,
                code=rule.code,
                name=rule.name,
                due=rule.due,
                unit_amount=unit,
                quantity=quantity,
                amount=0 if exempt else amount,
                exempt=exempt,
                note=rule.note,
            )
        )
    return Computed(tuple(lines))
