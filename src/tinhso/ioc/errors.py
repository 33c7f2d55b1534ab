"""Every reason the operations centre refuses, declared once (`tinhso.core.errors`).

Legal sources: as `ioc/reports.py` (Decree 118/2025/NĐ-CP, periodic reporting; Decision
766/QĐ-TTg). A period that cannot be reported on is INVALID (the person picks another); a
stored report file that no longer matches its hash is a CONFLICT (an administrator's matter).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from tinhso.core.errors import DomainError, Kind, declare


class ReportError(DomainError):
    """A refusal of the periodic reports (one of the codes below); nothing was written."""


REPORT_PERIOD_KIND = declare(
    "ioc",
    "report_period_kind",
    Kind.INVALID,
    gettext_lazy("Báo cáo định kỳ được lập theo tháng (2026-11) hoặc theo quý (2026-Q4)."),
)
REPORT_PERIOD_FUTURE = declare(
    "ioc",
    "report_period_future",
    Kind.INVALID,
    gettext_lazy("Kỳ báo cáo chưa bắt đầu: chưa có số liệu để lập báo cáo."),
)
REPORT_FILE_CHANGED = declare(
    "ioc",
    "report_file_changed",
    Kind.CONFLICT,
    gettext_lazy(
        "Tệp báo cáo đã bị thay đổi so với khi lập (mã băm không khớp); hãy báo quản trị "
        "hệ thống và lập lại báo cáo."
    ),
)
