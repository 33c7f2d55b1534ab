"""E-forms (biểu mẫu điện tử): validation, prefill and rendering hints. Pure: no I/O.

Messages are in the active language (gettext; Vietnamese unless the user chose English); the
labels inside them are the schema's titles, which are catalogue content and stay Vietnamese.

Decree 42/2022/NĐ-CP requires every online public service to have an e-form; Decree
45/2020/NĐ-CP lets citizens reuse data the state already holds, hence the prefill from the
citizen's profile.

A schema is a subset of JSON Schema draft 2020-12: ``{"type": "object", "properties": {...},
"required": [...]}`` where each property has ``type`` string / integer / number / boolean,
optional ``format`` date / email, ``enum``, ``minLength`` / ``maxLength`` / ``pattern``,
``minimum`` / ``maximum``, ``title`` (the Vietnamese label) and ``description`` (help text).
A date field may add ``"x-not-after": "today"`` (or an ISO date): a later date is refused,
e.g. a date of birth in the future; "today" is the date on the legal clock (``TIME_ZONE``).
The layout is ``{"order": [...], "groups": [{"title", "fields"}], "prefill": {"field":
"citizen.full_name"}, "widgets": {"field": "textarea"}}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.core.text import normalize

TYPES = ("string", "integer", "number", "boolean")
FORMATS = ("date", "email")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PROPERTY_KEYS = {
    "type",
    "format",
    "enum",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "title",
    "description",
    "default",
    "x-not-after",
}
NOT_AFTER_TODAY = "today"


class SchemaError(ValueError):
    """The schema itself is not in the supported subset."""


@dataclass(frozen=True)
class FieldView:
    """What a template needs to render one e-form field."""

    name: str
    label: str
    input_type: str  # text, email, date, number, checkbox, select, textarea
    value: Any
    error: str
    required: bool
    help: str
    choices: list[tuple[str, str]] = field(default_factory=list)
    min_length: int | None = None
    max_length: int | None = None
    pattern: str = ""
    step: str = ""
    group: str = ""
    max_date: str = ""  # a date field's latest allowed day (ISO), for the browser's picker
    # where a prefilled value came from, in words ("Lấy từ tài khoản", datastore/prefill.py)
    source: str = ""

    @property
    def id(self) -> str:
        return f"ef-{self.name}"

    @property
    def error_id(self) -> str:
        return f"ef-{self.name}-error"

    @property
    def help_id(self) -> str:
        return f"ef-{self.name}-help"

    @property
    def source_id(self) -> str:
        return f"ef-{self.name}-source"

    @property
    def describedby(self) -> str:
        ids = []
        if self.source:
            ids.append(self.source_id)
        if self.help:
            ids.append(self.help_id)
        if self.error:
            ids.append(self.error_id)
        return " ".join(ids)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_length(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _names(value: Any) -> bool:
    """A JSON list of strings (field names)."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_date_bound(value: Any) -> bool:
    """``"today"`` or an ISO date (year-month-day)."""
    if value == NOT_AFTER_TODAY:
        return True
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def check_schema(schema: dict[str, Any], layout: dict[str, Any] | None = None) -> list[str]:
    """Problems with a schema and layout, in the active language; empty when they are usable.

    Every value the other functions here read is checked for its JSON type too (a number
    where a pattern should be, a string where a list should be), so whatever an editor types
    comes back as a message, never as an exception.
    """
    problems: list[str] = []
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return [_('Biểu mẫu phải là JSON Schema với "type": "object".')]
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        return [_('"properties" phải là một đối tượng.')]
    for name, spec in props.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,59}", name):
            problems.append(
                _("Tên trường “%(name)s” chỉ được dùng chữ thường không dấu, số và _.")
                % {"name": name}
            )
            continue
        if not isinstance(spec, dict):
            problems.append(_("Trường “%(name)s” phải là một đối tượng.") % {"name": name})
            continue
        unknown = set(spec) - _PROPERTY_KEYS
        if unknown:
            listed = ", ".join(sorted(unknown))
            problems.append(
                _("Trường “%(name)s” có thuộc tính không hỗ trợ: %(values)s.")
                % {"name": name, "values": listed}
            )
        if spec.get("type") not in TYPES:
            problems.append(
                _("Trường “%(name)s” có kiểu không hỗ trợ: %(type)s.")
                % {"name": name, "type": repr(spec.get("type"))}
            )
        if "format" in spec and spec["format"] not in FORMATS:
            problems.append(
                _("Trường “%(name)s” có định dạng không hỗ trợ: %(format)s.")
                % {"name": name, "format": repr(spec["format"])}
            )
        if "enum" in spec and not (isinstance(spec["enum"], list) and spec["enum"]):
            problems.append(
                _("Trường “%(name)s”: enum phải là danh sách không rỗng.") % {"name": name}
            )
        if "pattern" in spec:
            if not isinstance(spec["pattern"], str):
                problems.append(
                    _("Trường “%(name)s”: pattern phải là một chuỗi ký tự.") % {"name": name}
                )
            else:
                try:
                    re.compile(spec["pattern"])
                except re.error:
                    problems.append(
                        _("Trường “%(name)s”: biểu thức pattern không hợp lệ.") % {"name": name}
                    )
        for key in ("minLength", "maxLength"):
            if key in spec and not _is_length(spec[key]):
                problems.append(
                    _("Trường “%(name)s”: %(key)s phải là số nguyên không âm.")
                    % {"name": name, "key": key}
                )
        for key in ("minimum", "maximum"):
            if key in spec and not _is_number(spec[key]):
                problems.append(
                    _("Trường “%(name)s”: %(key)s phải là một số.") % {"name": name, "key": key}
                )
        if "x-not-after" in spec and not (
            spec.get("format") == "date" and _is_date_bound(spec["x-not-after"])
        ):
            problems.append(
                _(
                    "Trường “%(name)s”: x-not-after chỉ dùng cho trường ngày, "
                    "với giá trị “today” hoặc một ngày năm-tháng-ngày."
                )
                % {"name": name}
            )
        for key in ("title", "description"):
            if key in spec and not isinstance(spec[key], str):
                problems.append(
                    _("Trường “%(name)s”: %(key)s phải là một chuỗi ký tự.")
                    % {"name": name, "key": key}
                )
        if not spec.get("title"):
            problems.append(_("Trường “%(name)s” thiếu nhãn (title).") % {"name": name})
    required = schema.get("required", [])
    if not _names(required):
        problems.append(_('"required" phải là danh sách tên trường.'))
    else:
        for name in required:
            if name not in props:
                problems.append(
                    _("Trường bắt buộc “%(name)s” không có trong properties.") % {"name": name}
                )
    layout = layout or {}
    if not isinstance(layout, dict):
        return [*problems, _("Bố cục phải là một đối tượng JSON.")]
    order = layout.get("order", [])
    if not _names(order):
        problems.append(_('Bố cục: "order" phải là danh sách tên trường.'))
    else:
        for name in order:
            if name not in props:
                problems.append(
                    _("Bố cục nhắc đến trường không tồn tại: “%(name)s”.") % {"name": name}
                )
    groups = layout.get("groups", [])
    if not (
        isinstance(groups, list)
        and all(isinstance(g, dict) and _names(g.get("fields", [])) for g in groups)
    ):
        problems.append(_('Bố cục: "groups" phải là danh sách nhóm, mỗi nhóm có "fields".'))
    if not isinstance(layout.get("widgets", {}), dict):
        problems.append(_('Bố cục: "widgets" phải là một đối tượng.'))
    prefill_map = layout.get("prefill", {})
    if not isinstance(prefill_map, dict):
        problems.append(_('Bố cục: "prefill" phải là một đối tượng.'))
        prefill_map = {}
    for name, source in prefill_map.items():
        if name not in props:
            problems.append(_("Điền sẵn cho trường không tồn tại: “%(name)s”.") % {"name": name})
        elif not str(source).startswith("citizen."):
            problems.append(
                _("Nguồn điền sẵn của “%(name)s” phải bắt đầu bằng citizen.") % {"name": name}
            )
    return problems


def validate(
    schema: dict[str, Any], data: dict[str, Any], *, today: date | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean `data` against `schema`: (cleaned values, a message per bad field).

    Strings are NFC-normalised and trimmed; empty optional fields are left out; unknown
    fields are ignored. `today` (default: the local date) bounds ``"x-not-after": "today"``.
    """
    today = today or timezone.localdate()
    props: dict[str, dict[str, Any]] = schema.get("properties", {})
    required = set(schema.get("required", []))
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, spec in props.items():
        raw = data.get(name)
        label = spec.get("title") or name
        if _is_empty(raw, spec):
            if name in required:
                errors[name] = (
                    _("Vui lòng đánh dấu “%(label)s”.") % {"label": label}
                    if spec.get("type") == "boolean"
                    else _("Vui lòng nhập “%(label)s”.") % {"label": label}
                )
            continue
        try:
            cleaned[name] = _clean(raw, spec, label, today)
        except ValueError as exc:
            errors[name] = str(exc)
    return cleaned, errors


def _is_empty(raw: Any, spec: dict[str, Any]) -> bool:
    if raw is None:
        return True
    if spec.get("type") == "boolean":
        return raw in (False, "", "false", "0", "off")
    return isinstance(raw, str) and not normalize(raw)


def _clean(raw: Any, spec: dict[str, Any], label: str, today: date) -> Any:
    kind = spec.get("type", "string")
    if kind == "boolean":
        if raw in (True, "true", "on", "1", 1):
            return True
        raise ValueError(_("“%(label)s” chỉ nhận đúng hoặc sai.") % {"label": label})
    if kind in ("integer", "number"):
        number = _number(raw, kind, label)
        if "minimum" in spec and number < spec["minimum"]:
            raise ValueError(
                _("“%(label)s” không được nhỏ hơn %(minimum)s.")
                % {"label": label, "minimum": spec["minimum"]}
            )
        if "maximum" in spec and number > spec["maximum"]:
            raise ValueError(
                _("“%(label)s” không được lớn hơn %(maximum)s.")
                % {"label": label, "maximum": spec["maximum"]}
            )
        if "enum" in spec and number not in spec["enum"]:
            raise ValueError(
                _("Vui lòng chọn một giá trị trong danh sách cho “%(label)s”.") % {"label": label}
            )
        return number
    if not isinstance(raw, str):
        raise ValueError(_("“%(label)s” phải là chuỗi ký tự.") % {"label": label})
    value = normalize(raw)
    if "enum" in spec and value not in [normalize(str(choice)) for choice in spec["enum"]]:
        raise ValueError(
            _("Vui lòng chọn một giá trị trong danh sách cho “%(label)s”.") % {"label": label}
        )
    if "minLength" in spec and len(value) < spec["minLength"]:
        raise ValueError(
            _("“%(label)s” phải có ít nhất %(min_length)s ký tự.")
            % {"label": label, "min_length": spec["minLength"]}
        )
    if "maxLength" in spec and len(value) > spec["maxLength"]:
        raise ValueError(
            _("“%(label)s” không được dài quá %(max_length)s ký tự.")
            % {"label": label, "max_length": spec["maxLength"]}
        )
    if "pattern" in spec and not re.search(spec["pattern"], value):
        raise ValueError(_("“%(label)s” không đúng định dạng.") % {"label": label})
    fmt = spec.get("format")
    if fmt == "email" and not _EMAIL.match(value):
        raise ValueError(_("“%(label)s” không phải địa chỉ thư điện tử hợp lệ.") % {"label": label})
    if fmt == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError(
                _("“%(label)s” phải là ngày hợp lệ (năm-tháng-ngày).") % {"label": label}
            ) from None
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(
                _("“%(label)s” phải là ngày hợp lệ (năm-tháng-ngày).") % {"label": label}
            )
        bound = spec.get("x-not-after")
        if isinstance(bound, str) and _is_date_bound(bound):
            limit = today if bound == NOT_AFTER_TODAY else date.fromisoformat(bound)
            if date.fromisoformat(value) > limit and bound == NOT_AFTER_TODAY:
                raise ValueError(_("“%(label)s” không được sau ngày hôm nay.") % {"label": label})
            if date.fromisoformat(value) > limit:
                raise ValueError(
                    _("“%(label)s” không được sau ngày %(bound)s.")
                    % {"label": label, "bound": limit.strftime("%d/%m/%Y")}
                )
    return value


def _number(raw: Any, kind: str, label: str) -> int | float:
    if isinstance(raw, bool):
        raise ValueError(_("“%(label)s” phải là số.") % {"label": label})
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if kind == "integer":
            if raw.is_integer():
                return int(raw)
            raise ValueError(_("“%(label)s” phải là số nguyên.") % {"label": label})
        return raw
    text = normalize(str(raw)).replace(" ", "")
    try:
        number = Decimal(text.replace(",", ".")) if kind == "number" else Decimal(text)
    except InvalidOperation:
        raise ValueError(
            _("“%(label)s” phải là số nguyên.") % {"label": label}
            if kind == "integer"
            else _("“%(label)s” phải là số.") % {"label": label}
        ) from None
    if not number.is_finite():
        raise ValueError(_("“%(label)s” phải là số.") % {"label": label})
    if kind == "integer":
        if number != number.to_integral_value():
            raise ValueError(_("“%(label)s” phải là số nguyên.") % {"label": label})
        return int(number)
    return float(number)


def prefill(schema: dict[str, Any], layout: dict[str, Any], citizen: Any) -> dict[str, Any]:
    """Initial values taken from the citizen's profile, per the layout's ``prefill`` map.

    A source is ``citizen.<attribute>``; dates become ISO strings. Missing or empty
    attributes give no value.
    """
    props = schema.get("properties", {})
    values: dict[str, Any] = {}
    if citizen is None:
        return values
    for name, source in (layout or {}).get("prefill", {}).items():
        if name not in props or not str(source).startswith("citizen."):
            continue
        value: Any = citizen
        for part in str(source).split(".")[1:]:
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
            if value is None:
                break
        if value is None or value == "":
            continue
        if isinstance(value, date):
            value = value.isoformat()
        values[name] = value
    return values


def _ordered_names(schema: dict[str, Any], layout: dict[str, Any]) -> list[str]:
    props = list(schema.get("properties", {}))
    order = [name for name in (layout or {}).get("order", []) if name in props]
    return order + [name for name in props if name not in order]


def fields(
    schema: dict[str, Any],
    layout: dict[str, Any] | None,
    data: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> list[FieldView]:
    """The fields to render, in layout order, with their current value and error."""
    layout = layout or {}
    data = data or {}
    errors = errors or {}
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    group_of = {
        name: group.get("title", "")
        for group in layout.get("groups", [])
        for name in group.get("fields", [])
    }
    widgets = layout.get("widgets", {})
    views = []
    for name in _ordered_names(schema, layout):
        spec = props[name]
        kind = spec.get("type", "string")
        choices: list[tuple[str, str]] = []
        if "enum" in spec:
            input_type = "select"
            choices = [(str(choice), str(choice)) for choice in spec["enum"]]
        elif kind == "boolean":
            input_type = "checkbox"
        elif kind in ("integer", "number"):
            input_type = "number"
        elif spec.get("format") in FORMATS:
            input_type = spec["format"]
        elif widgets.get(name) == "textarea":
            input_type = "textarea"
        else:
            input_type = "text"
        value = data.get(name, spec.get("default", ""))
        views.append(
            FieldView(
                name=name,
                label=spec.get("title") or name,
                input_type=input_type,
                value="" if value is None else value,
                error=errors.get(name, ""),
                required=name in required,
                help=spec.get("description", ""),
                choices=choices,
                min_length=spec.get("minLength"),
                max_length=spec.get("maxLength"),
                pattern=spec.get("pattern", ""),
                step="1" if kind == "integer" else ("any" if kind == "number" else ""),
                group=group_of.get(name, ""),
                max_date=_max_date(spec) if input_type == "date" else "",
            )
        )
    return views


def _max_date(spec: dict[str, Any]) -> str:
    """The `max` the browser's date picker gets from ``x-not-after``: the same bound the
    server checks, so a day after it cannot be picked in the first place."""
    bound = spec.get("x-not-after")
    if not isinstance(bound, str) or not _is_date_bound(bound):
        return ""
    return timezone.localdate().isoformat() if bound == NOT_AFTER_TODAY else bound
