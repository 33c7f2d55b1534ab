"""Importer for the national public-service portal's procedure records (Cổng DVCQG).

Reads the detail records the portal's public API returns, ``{"code": "OK", "data": {...}}``
(fields described in ../shared/domain/samples/SOURCES.md §2), and turns each into a
`VersionSpec`. `parse_record` is pure; `import_paths` saves through
`actions.save_procedure`, which publishes a new version only when the content changed, so
running an import twice changes nothing the second time.

Mapping decisions (the portal's data is not always consistent):
- processing time: the ONLINE method's time if there is one, else the counter's (DIRECT),
  else the first; unit WORKING_DAY → working days, HOUR → working hours, DAY → days with a
  note that the source did not say "working"; OTHER → the cases' ``processingDay`` (the
  longest), or a note when there is none (e.g. "trong ngày").
- online type (Decree 42/2022): ``isFullProcess`` → toàn trình; an ONLINE method → một
  phần; otherwise not online. Channels: ONLINE → online, DIRECT → counter, POSTAL → post.
- fees: every non-zero fee of every method, named by type and channel. Most civil-status
  records carry 0 even where the law sets a fee (see SOURCES.md), so zero is not proof of
  "free": the procedure page says fees are as published.
- names: the leading "Thủ tục" is dropped for display (``rules.display_name``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

from tinhso.catalogue import actions
from tinhso.catalogue.rules import ComponentSpec, VersionSpec, display_name
from tinhso.core.text import normalize

CHANNEL_OF = {"ONLINE": "online", "DIRECT": "counter", "POSTAL": "post"}
CHANNEL_LABEL = {"ONLINE": "trực tuyến", "DIRECT": "trực tiếp", "POSTAL": "bưu chính"}
FEE_LABEL = {"FEE": "Lệ phí", "SERVICE_FEE": "Phí", "PRICE_LEVEL": "Giá dịch vụ"}
FALLBACK_FIELD = ("KHAC", "Lĩnh vực khác")


class RecordError(ValueError):
    """A record that cannot be imported, with the reason in Vietnamese."""


@dataclass
class ParsedProcedure:
    code: str
    field_code: str
    field_name: str
    levels: list[str]
    spec: VersionSpec
    source_id: str = ""
    source_updated_at: datetime | None = None


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.created)} mới, {len(self.updated)} có phiên bản mới, "
            f"{len(self.unchanged)} không đổi, {len(self.failed)} lỗi, "
            f"{len(self.skipped)} tệp không phải bản ghi thủ tục"
        )


def _text(value: Any) -> str:
    return normalize(value) if isinstance(value, str) else ""


def _block(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return "\n".join(normalize(line) for line in value.splitlines() if normalize(line))


def _int(value: Any, what: str) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        raise RecordError(f"{what} “{value}” không phải số.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RecordError(f"{what} “{value}” không phải số.") from None


def _pick_method(methods: list[dict[str, Any]]) -> dict[str, Any] | None:
    for wanted in ("ONLINE", "DIRECT"):
        for method in methods:
            if method.get("submissionMethod") == wanted:
                return method
    return methods[0] if methods else None


def _processing(data: dict[str, Any]) -> tuple[Decimal | None, Decimal | None, str]:
    method = _pick_method(data.get("executionMethods") or [])
    qty = method.get("processingTime") if method else None
    unit = method.get("processingTimeUnit") if method else None
    note = _text(method.get("description")) if method else ""
    if unit == "OTHER" or qty in (None, 0):
        best: tuple[Decimal, str] | None = None
        for case in data.get("cases") or []:
            day = case.get("processingDay") or {}
            if day.get("qty") and day.get("type") in ("WORKING_DAY", "DAY", "HOUR"):
                candidate = (Decimal(str(day["qty"])), day["type"])
                if best is None or candidate[0] > best[0]:
                    best = candidate
        if best is not None:
            qty, unit = best
        elif unit == "OTHER" or not qty:
            return None, None, note or "Trong ngày làm việc hoặc theo quy định của thủ tục"
    number = Decimal(str(qty))
    if unit == "WORKING_DAY":
        return number, None, note
    if unit == "HOUR":
        return None, number, note
    if unit == "DAY":
        return number, None, note or "Nguồn ghi “ngày”, không ghi rõ ngày làm việc"
    if unit == "MONTH":
        return None, None, note or f"{number} tháng"
    return None, None, note or f"{number} (đơn vị {unit})"


def _fees(methods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Non-zero fees per channel; a zero fee is kept once when it says something (its note)."""
    fees: list[dict[str, Any]] = []
    seen = set()
    for method in methods:
        channel = CHANNEL_LABEL.get(method.get("submissionMethod", ""), "")
        for fee in method.get("fees") or []:
            amount = _int(fee.get("value"), "Mức phí")
            label = FEE_LABEL.get(fee.get("type", ""), "Phí, lệ phí")
            note = _text(fee.get("description"))[:500]
            if amount > 0:
                name = f"{label} (nộp {channel})" if channel else label
                key: tuple[Any, ...] = (name, amount, note)
            elif note:
                name, key = label, ("note", note)
            else:
                continue
            if key not in seen:
                seen.add(key)
                fees.append({"name": name, "amount": amount, "note": note})
    return fees


def _components(data: dict[str, Any]) -> list[ComponentSpec]:
    components = []
    for case in data.get("executionCases") or []:
        group = _text(case.get("name"))[:500]
        for item in case.get("profileComponents") or []:
            name = _block(item.get("name"))
            if not name:
                continue
            components.append(
                ComponentSpec(
                    name=name,
                    code=_text(item.get("code"))[:80],
                    originals=max(_int(item.get("originalQty"), "Số bản chính"), 0),
                    copies=max(_int(item.get("copyQty"), "Số bản sao"), 0),
                    required=bool(item.get("required")),
                    from_datastore=False,
                    group=group,
                )
            )
    return components


def parse_record(record: dict[str, Any]) -> ParsedProcedure:
    """One portal detail record as a procedure; RecordError when it is unusable."""
    if (
        not isinstance(record, dict)
        or record.get("code") != "OK"
        or not isinstance(record.get("data"), dict)
    ):
        raise RecordError('Bản ghi không đúng dạng {"code": "OK", "data": {...}}.')
    data = record["data"]
    code = _text(data.get("code") or data.get("codeNotation"))
    if not code:
        raise RecordError("Bản ghi không có mã thủ tục.")
    raw_name = data.get("name") if isinstance(data.get("name"), str) else ""
    name = display_name(_text(raw_name.strip().splitlines()[0] if raw_name.strip() else ""))
    if not name:
        raise RecordError(f"Thủ tục {code} không có tên.")
    category = data.get("category") or next(iter(data.get("categoriesDetails") or []), None)
    field_code, field_name = FALLBACK_FIELD
    if isinstance(category, dict) and category.get("code") and category.get("name"):
        field_code, field_name = _text(category["code"]), _text(category["name"])
    levels = [
        level
        for flag, level in (("isProvince", "province"), ("isWard", "commune"))
        if data.get(flag)
    ]
    methods = data.get("executionMethods") or []
    channels = sorted(
        {
            CHANNEL_OF[m["submissionMethod"]]
            for m in methods
            if m.get("submissionMethod") in CHANNEL_OF
        },
        key=["online", "counter", "post"].index,
    )
    if data.get("isFullProcess") and "online" in channels:
        online_type = "toan_trinh"
    elif "online" in channels:
        online_type = "mot_phan"
    else:
        online_type = "khong"
    if not channels:
        channels = ["counter"]
    days, hours, note = _processing(data)
    spec = VersionSpec(
        name=name,
        processing_days=days,
        processing_hours=hours,
        processing_note=note[:500],
        online_type=online_type,
        channels=channels,
        fees=_fees(methods),
        result_name="; ".join(
            _text(r.get("name")) for r in data.get("resultsDetails") or [] if _text(r.get("name"))
        )[:500],
        legal_basis="\n".join(
            sorted(
                {
                    _text(b.get("name"))
                    for b in data.get("legalBasisesDetails") or []
                    if _text(b.get("name"))
                }
            )
        ),
        conditions=_block(data.get("requirementsAndConditions")),
        steps="\n".join(_block(s.get("description")) for s in data.get("executionSteps") or []),
        components=_components(data),
    )
    updated = data.get("updatedAt")
    return ParsedProcedure(
        code=code,
        field_code=field_code,
        field_name=field_name,
        levels=levels,
        spec=spec,
        source_id=_text(data.get("id"))[:64],
        source_updated_at=(
            datetime.fromtimestamp(updated / 1000, tz=UTC) if isinstance(updated, int) else None
        ),
    )


def iter_files(path: Path) -> Iterator[Path]:
    """The .json files at `path` (a file, or a folder searched recursively), sorted."""
    if path.is_dir():
        yield from sorted(p for p in path.rglob("*.json") if p.is_file())
    elif path.is_file():
        yield path
    else:
        raise FileNotFoundError(f"Không tìm thấy {path}")


def import_paths(paths: Iterable[Path], *, actor: Any) -> ImportReport:
    """Import every record found; each record is its own transaction."""
    report = ImportReport()
    for path in paths:
        for file in iter_files(path):
            label = file.name
            try:
                record = json.loads(file.read_text(encoding="utf-8"))
                if not _looks_like_record(record):
                    report.skipped.append(file.name)
                    continue
                parsed = parse_record(record)
                label = parsed.code
                existed = actions.Procedure.objects.filter(code=parsed.code).exists()
                _, published = actions.save_procedure(
                    code=parsed.code,
                    field_code=parsed.field_code,
                    field_name=parsed.field_name,
                    spec=parsed.spec,
                    actor=actor,
                    levels=parsed.levels,
                    source_id=parsed.source_id,
                    source_updated_at=parsed.source_updated_at,
                )
            except (ValueError, ValidationError, OSError) as exc:
                report.failed.append((label, _reason(exc)))
                continue
            if not existed:
                report.created.append(parsed.code)
            elif published is not None:
                report.updated.append(parsed.code)
            else:
                report.unchanged.append(parsed.code)
    return report


def _looks_like_record(record: Any) -> bool:
    """A portal envelope holding one procedure (not a manifest or a list response)."""
    if not isinstance(record, dict) or "code" not in record or "data" not in record:
        return False
    data = record["data"]
    return not (isinstance(data, dict) and "rows" in data and "executionMethods" not in data)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    if isinstance(exc, json.JSONDecodeError):
        return f"JSON không hợp lệ (dòng {exc.lineno})"
    return str(exc)
