"""Rules for the content of a procedure version. Pure: no I/O.

Decree 63/2010/NĐ-CP Art. 8 lists what a procedure must state (steps, channels, dossier,
time limit, who may apply, competent agency, result, fees, forms, conditions, legal basis);
Decree 42/2022/NĐ-CP Art. 11 defines the two online service types: toàn trình (submission,
handling and result all online or by public post) and một phần (anything else online).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from tinhso.catalogue import eforms
from tinhso.core.text import normalize

CHANNELS = ("online", "counter", "post")
LEVELS = ("province", "commune", "department")
ONLINE_TYPES = ("toan_trinh", "mot_phan", "khong")


@dataclass
class ComponentSpec:
    """Thành phần hồ sơ as data."""

    name: str
    code: str = ""
    originals: int = 0
    copies: int = 0
    required: bool = True
    from_datastore: bool = False
    group: str = ""
    form_file: str = ""  # name in the file storage of the blank form, if any


@dataclass
class VersionSpec:
    """The content of one procedure version, independent of the database."""

    name: str
    processing_days: Decimal | None = None
    processing_hours: Decimal | None = None
    processing_note: str = ""
    online_type: str = "khong"
    channels: list[str] = field(default_factory=list)
    fees: list[dict[str, Any]] = field(default_factory=list)
    result_name: str = ""
    legal_basis: str = ""
    conditions: str = ""
    steps: str = ""
    eform_schema: dict[str, Any] = field(default_factory=dict)
    eform_layout: dict[str, Any] = field(default_factory=dict)
    components: list[ComponentSpec] = field(default_factory=list)

    def content_hash(self) -> str:
        """A digest of the content: the same content always gives the same digest."""
        body = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(body.encode()).hexdigest()


def display_name(official: str) -> str:
    """The name citizens read: the national name without the leading "Thủ tục"."""
    name = normalize(official).rstrip(" .")
    for prefix in ("Thủ tục ", "thủ tục ", "THỦ TỤC "):
        if name.startswith(prefix) and len(name) > len(prefix):
            rest = name[len(prefix) :]
            return rest[0].upper() + rest[1:]
    return name


def clean_spec(spec: VersionSpec) -> dict[str, str]:
    """Normalise `spec` in place; return a message per invalid field (active language)."""
    errors: dict[str, str] = {}
    spec.name = normalize(spec.name)
    if not spec.name:
        errors["name"] = _("Vui lòng nhập tên thủ tục.")
    for attr in ("processing_days", "processing_hours"):
        value = getattr(spec, attr)
        if value is None or value == "":
            setattr(spec, attr, None)
            continue
        try:
            number = Decimal(str(value).replace(",", "."))
        except InvalidOperation:
            errors[attr] = _("Thời hạn giải quyết phải là số.")
            continue
        if number < 0 or number > 9999:
            errors[attr] = _("Thời hạn giải quyết phải từ 0 đến 9999.")
        setattr(spec, attr, number)
    spec.processing_note = normalize(spec.processing_note)
    if spec.processing_days is not None and spec.processing_hours is not None:
        errors["processing_hours"] = _(
            "Chỉ ghi thời hạn theo ngày làm việc hoặc theo giờ, không cả hai."
        )
    if spec.processing_days is None and spec.processing_hours is None and not spec.processing_note:
        errors["processing_days"] = _(
            "Vui lòng ghi thời hạn giải quyết (ngày làm việc, giờ làm việc, hoặc ghi chú như "
            "“trong ngày”)."
        )
    if spec.online_type not in ONLINE_TYPES:
        errors["online_type"] = _("Mức dịch vụ công trực tuyến không hợp lệ.")
    unknown = [c for c in spec.channels if c not in CHANNELS]
    if unknown:
        errors["channels"] = _("Cách thức thực hiện chỉ gồm: trực tuyến, trực tiếp, bưu chính.")
    spec.channels = [c for c in CHANNELS if c in spec.channels]
    if not spec.channels:
        errors["channels"] = _("Vui lòng chọn ít nhất một cách thức thực hiện.")
    if spec.online_type != "khong" and "online" not in spec.channels:
        errors["channels"] = _("Dịch vụ công trực tuyến phải nhận hồ sơ qua kênh trực tuyến.")
    if spec.online_type == "khong" and "online" in spec.channels:
        errors["online_type"] = _(
            "Thủ tục nhận hồ sơ trực tuyến phải là DVCTT toàn trình hoặc một phần."
        )
    fees = []
    for fee in spec.fees:
        name = normalize(str(fee.get("name", "")))
        try:
            amount = int(fee.get("amount", 0))
        except (TypeError, ValueError):
            errors["fees"] = _("Mức phí, lệ phí phải là số nguyên (đồng).")
            continue
        if not name or amount < 0:
            errors["fees"] = _("Mỗi khoản phí, lệ phí cần có tên và mức thu không âm.")
            continue
        fees.append({"name": name, "amount": amount, "note": normalize(str(fee.get("note", "")))})
    spec.fees = fees
    for attr in ("result_name", "legal_basis", "conditions", "steps"):
        setattr(spec, attr, _normalize_block(getattr(spec, attr)))
    for component in spec.components:
        component.name = _normalize_block(component.name)
        component.code = normalize(component.code)
        component.group = normalize(component.group)
        if not component.name:
            errors["components"] = _("Mỗi thành phần hồ sơ cần có tên.")
        if component.originals < 0 or component.copies < 0:
            errors["components"] = _("Số bản chính, bản sao không được âm.")
    if spec.eform_schema:
        problems = eforms.check_schema(spec.eform_schema, spec.eform_layout)
        if problems:
            errors["eform_schema"] = " ".join(problems)
    return errors


def _normalize_block(text: str) -> str:
    """NFC and trimmed per line, keeping line breaks (legal texts are lists)."""
    lines = [normalize(line) for line in (text or "").splitlines()]
    return "\n".join(line for line in lines if line)
