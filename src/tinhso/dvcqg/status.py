"""tinhso's dossier states and channels as the national portal codes them (pure, no I/O).

Legal source: Decree 118/2025/NĐ-CP (the one-stop shop's states: reception, refusal at
reception, supplement requests, withdrawal, refusal to resolve, results) and Decision
766/QĐ-TTg (indicators 1.4, 2.1 and 3.3 read `TrangThaiHoSo` and `KenhThucHien`). The codes
are the ones /work/shared/domain/national-portal.md gives for `DongBoHoSoMC` [T]; the integration
guide itself (v1.4, 2020) was not available, see docs/dvcqg.md.
"""

from __future__ import annotations

from enum import IntEnum

from tinhso.dossiers.models import Dossier


class NationalStatus(IntEnum):
    """`TrangThaiHoSo`."""

    REGISTERED = 1  # mới đăng ký (trực tuyến, chưa tiếp nhận)
    RECEIVED = 2  # đã tiếp nhận
    NOT_RECEIVED = 3  # không được tiếp nhận
    PROCESSING = 4  # đang xử lý
    SUPPLEMENT = 5  # yêu cầu bổ sung giấy tờ
    FINANCIAL_OBLIGATION = 6  # yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = 7  # công dân yêu cầu rút hồ sơ
    STOPPED = 8  # dừng xử lý
    FINISHED = 9  # đã xử lý xong
    RETURNED = 10  # đã trả kết quả


class NationalChannel(IntEnum):
    """`KenhThucHien`."""

    DESK = 1  # trực tiếp
    ONLINE = 2  # trực tuyến
    POST = 3  # qua dịch vụ bưu chính công ích


S = Dossier.State

# The one table. `None`: never sent (a draft is not a dossier yet). RECEIVED and APPROVED are
# refined by `national_status` below; the table holds their plain meaning.
STATUS: dict[str, NationalStatus | None] = {
    S.DRAFT: None,
    S.SUBMITTED: NationalStatus.REGISTERED,
    S.RECEIVED: NationalStatus.RECEIVED,
    S.SUPPLEMENT_REQUESTED: NationalStatus.SUPPLEMENT,
    # approved by the leader, the result document not yet issued: still being processed
    S.APPROVED: NationalStatus.PROCESSING,
    # refusal to resolve after processing (Mẫu 06): processing stopped, with `NgayTuChoi`
    S.REFUSED: NationalStatus.STOPPED,
    S.RESULT_READY: NationalStatus.FINISHED,
    S.RETURNED: NationalStatus.RETURNED,
    # refused at reception (từ chối tiếp nhận)
    S.REJECTED: NationalStatus.NOT_RECEIVED,
    S.WITHDRAWN: NationalStatus.WITHDRAWN,
}

CHANNEL: dict[str, NationalChannel] = {
    Dossier.Channel.WEB: NationalChannel.ONLINE,
    Dossier.Channel.API: NationalChannel.ONLINE,
    Dossier.Channel.COUNTER: NationalChannel.DESK,
    Dossier.Channel.POST: NationalChannel.POST,
}

# `HinhThuc`: how the result is handed over (0 at the desk, 1 by post). An electronic result
# has no code of its own in the reconstructed shape; it is handed over as at the desk.
DELIVERY: dict[str, int] = {
    Dossier.Delivery.ONLINE: 0,
    Dossier.Delivery.COUNTER: 0,
    Dossier.Delivery.POST: 1,
}


def national_status(
    state: str, *, processing_started: bool = False, fee_awaited: bool = False
) -> NationalStatus | None:
    """`TrangThaiHoSo` for a dossier in `state`.

    A received dossier is 2 until something has happened to it after reception (a hand-off,
    an assignment, an answered supplement, an extension: `processing_started`), then 4. A
    dossier being processed or approved that waits for a fee due before the result
    (`fee_awaited`) is 6."""
    if state not in STATUS:
        raise ValueError(f"unknown dossier state {state!r}")
    status = STATUS[state]
    if status is None:
        return None
    if state in (S.RECEIVED, S.APPROVED) and fee_awaited:
        return NationalStatus.FINANCIAL_OBLIGATION
    if state == S.RECEIVED and processing_started:
        return NationalStatus.PROCESSING
    return status


def national_channel(channel: str) -> NationalChannel:
    """`KenhThucHien` for a dossier that came in through `channel`."""
    return CHANNEL[channel]
