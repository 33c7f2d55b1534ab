"""The adapter to the national public-service portal's integration service.

Legal source: Decree 42/2022/NĐ-CP art. 11 and Decision 766/QĐ-TTg (provinces sync every
dossier to the national portal); the transport is the one /work/shared/domain/national-portal.md
reconstructs from two independent one-stop systems [T] (the integration guide v1.4 was not
available): a session from `POST {base}/auth`, then JSON service calls to `POST {base}/service`.
The two paths are constructor arguments with those defaults, because a province may reach the
portal through its LGSP under other paths (docs/dvcqg.md).

Errors are typed: `PortalUnavailable` (timeouts, refused connections, 5xx, an unreadable
answer) is retryable; `PortalRejected` (the portal refused a record or a call, with its own
message) and `PortalRefusedLogin` are permanent, so the outbox parks the message with the
portal's words for an administrator. An expired session (`error_code` -2) is renewed once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings

from tinhso.core.outbox import PermanentError, RetryableError

CONNECT_TIMEOUT = 5.0  # seconds to open the connection
READ_TIMEOUT = 30.0  # seconds to wait for an answer
BATCH = 10  # DongBoHoSoMC and CapNhatTienDoHoSoMC take at most 10 records a call
EXISTS_CODE = "3"
EXISTS_TEXT = "đã tồn tại"
SESSION_EXPIRED = "-2"
UNKNOWN_DOSSIER = "4"


class PortalError(Exception):
    """Anything the national portal adapter raises."""


class PortalUnavailable(PortalError, RetryableError):
    """The portal did not answer usefully (timeout, connection, 5xx): try again later."""


class PortalRejected(PortalError, PermanentError):
    """The portal refused a record or a call; `message` is the portal's own text."""

    def __init__(self, message: str, *, code: str = "", record: str = "") -> None:
        self.code = code
        self.record = record
        self.portal_message = message
        where = f"hồ sơ {record}: " if record else ""
        super().__init__(f"Cổng DVC quốc gia từ chối {where}{message} (mã {code})")


class PortalRefusedLogin(PortalError, PermanentError):
    """The portal refused the username, password or unit code."""


class NotConfigured(PortalError, PermanentError):
    """`TINHSO_DVCQG_URL` is empty: sync is off."""


@dataclass(frozen=True)
class RecordOutcome:
    code: str  # MaHoSo
    created: bool  # False: it existed and was updated


@dataclass(frozen=True)
class RecordAnswer:
    """The portal's answer about one record of a `DongBoHoSoMC` call."""

    code: str  # MaHoSo
    error_code: str
    message: str
    updating: bool  # the call was an update

    @property
    def accepted(self) -> bool:
        return self.error_code == "0"

    @property
    def exists(self) -> bool:
        """A creation the portal already holds: send it again as an update."""
        return (
            not self.updating
            and self.error_code == EXISTS_CODE
            and EXISTS_TEXT in self.message.lower()
        )

    def rejection(self) -> PortalRejected:
        return PortalRejected(self.message, code=self.error_code, record=self.code)


_SESSIONS: dict[tuple[str, str, str], str] = {}
_SESSIONS_LOCK = threading.Lock()


@dataclass
class PortalClient:
    base_url: str
    username: str
    password: str = field(repr=False)
    unit_code: str
    auth_path: str = "/auth"
    service_path: str = "/service"
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    # Called before every request with the longest it may take (connect + read timeouts): the
    # sync renews its claim on the dossier here, and raises to stop before anything more is
    # sent when it no longer holds the claim or has no time left (dvcqg/sync.py).
    before_request: Callable[[float], None] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_settings(cls) -> PortalClient:
        if not settings.DVCQG_URL:
            raise NotConfigured("Chưa cấu hình địa chỉ Cổng DVC quốc gia (TINHSO_DVCQG_URL).")
        return cls(
            base_url=settings.DVCQG_URL,
            username=settings.DVCQG_USERNAME,
            password=settings.DVCQG_PASSWORD,
            unit_code=settings.DVCQG_UNIT_CODE,
        )

    # --- transport ---
    def _key(self) -> tuple[str, str, str]:
        return (self.base_url, self.username, self.unit_code)

    def _post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        url = self.base_url.rstrip("/") + path
        if self.before_request is not None:
            self.before_request(self.connect_timeout + self.read_timeout)
        try:
            response = requests.post(
                url,
                json=body,
                headers={"Content-Type": "application/json; charset=utf-8", **headers},
                timeout=(self.connect_timeout, self.read_timeout),
            )
        except requests.Timeout as exc:
            raise PortalUnavailable(
                f"Cổng DVC quốc gia không trả lời trong {self.read_timeout:g} giây"
            ) from exc
        except requests.RequestException as exc:
            raise PortalUnavailable(f"Không kết nối được Cổng DVC quốc gia: {exc}") from exc
        if response.status_code >= 500:
            raise PortalUnavailable(f"Cổng DVC quốc gia trả lỗi HTTP {response.status_code}")
        if response.status_code >= 400:
            raise PortalRejected(
                f"yêu cầu bị từ chối (HTTP {response.status_code})",
                code=str(response.status_code),
            )
        try:
            answer = response.json()
        except ValueError as exc:
            raise PortalUnavailable("Cổng DVC quốc gia trả về nội dung không đọc được") from exc
        if not isinstance(answer, dict):
            raise PortalUnavailable("Cổng DVC quốc gia trả về nội dung không đọc được")
        return answer

    def open_session(self) -> None:
        """Log in now unless a session is held, so the next call sends its data at once."""
        self._session()

    def _session(self, *, renew: bool = False) -> str:
        with _SESSIONS_LOCK:
            token = None if renew else _SESSIONS.get(self._key())
        if token:
            return token
        answer = self._post(
            self.auth_path,
            {"username": self.username, "password": self.password},
            {"dstcode": self.unit_code},
        )
        if str(answer.get("error_code")) != "0" or not answer.get("session"):
            raise PortalRefusedLogin(
                "Cổng DVC quốc gia từ chối đăng nhập: " + str(answer.get("message", ""))
            )
        token = str(answer["session"])
        with _SESSIONS_LOCK:
            _SESSIONS[self._key()] = token
        return token

    def call(self, service: str, data: Any, *, updating: bool = False) -> dict[str, Any]:
        """One service call; the answer (error_code 0) or a typed error. An expired session
        is renewed once."""
        for attempt in (1, 2):
            body = {
                "session": self._session(renew=attempt == 2),
                "madonvi": self.unit_code,
                "service": service,
                "isUpdating": "True" if updating else "False",
                "data": data,
            }
            answer = self._post(self.service_path, body, {})
            code = str(answer.get("error_code", ""))
            if code == SESSION_EXPIRED and attempt == 1:
                continue
            if code != "0":
                raise PortalRejected(str(answer.get("message", "")), code=code)
            return answer
        raise PortalUnavailable("Phiên làm việc với Cổng DVC quốc gia hết hạn hai lần liên tiếp")

    # --- services ---
    def sync_dossiers(
        self, records: Sequence[dict[str, Any]], *, update: bool = False
    ) -> list[RecordOutcome]:
        """`DongBoHoSoMC`: create (or update) the records; a record the portal already holds
        is sent again as an update. A rejected record raises `PortalRejected` with the
        portal's message."""
        outcomes: list[RecordOutcome] = []
        for start in range(0, len(records), BATCH):
            batch = list(records[start : start + BATCH])
            existing = []
            for record, answer in zip(batch, self.send_records(batch, update=update), strict=True):
                if answer.accepted:
                    outcomes.append(RecordOutcome(record["MaHoSo"], created=not update))
                elif answer.exists:
                    existing.append(record)
                else:
                    raise answer.rejection()
            if existing:
                outcomes.extend(self.sync_dossiers(existing, update=True))
        return outcomes

    def send_records(
        self, records: Sequence[dict[str, Any]], *, update: bool
    ) -> list[RecordAnswer]:
        """One `DongBoHoSoMC` call of at most 10 records; the portal's answer about each, in
        the records' order (accepted, exists, or rejected with its message). The whole call
        failing raises as `call` does."""
        if not 0 < len(records) <= BATCH:
            raise ValueError(f"DongBoHoSoMC takes 1 to {BATCH} records, not {len(records)}")
        batch = list(records)
        items = self._items(self.call("DongBoHoSoMC", batch, updating=update), batch)
        return [
            RecordAnswer(
                code=record["MaHoSo"],
                error_code=str(item.get("error_code", "")),
                message=str(item.get("message", "")),
                updating=update,
            )
            for record, item in zip(batch, items, strict=True)
        ]

    def _items(self, answer: dict[str, Any], batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        result = answer.get("result")
        if not isinstance(result, list) or len(result) != len(batch):
            raise PortalUnavailable("Cổng DVC quốc gia trả kết quả không khớp số hồ sơ đã gửi")
        by_code = {str(item.get("MaHoSo")): item for item in result if isinstance(item, dict)}
        if set(by_code) != {r["MaHoSo"] for r in batch}:
            # no codes, or other codes: read them in order
            return [item if isinstance(item, dict) else {} for item in result]
        return [by_code[r["MaHoSo"]] for r in batch]

    def update_progress(self, rows: Sequence[dict[str, Any]]) -> int:
        """`CapNhatTienDoHoSoMC`, in batches of 10; returns how many rows were sent."""
        for start in range(0, len(rows), BATCH):
            self.call("CapNhatTienDoHoSoMC", list(rows[start : start + BATCH]))
        return len(rows)

    def lookup_dossier(self, code: str) -> dict[str, Any] | None:
        """`TraCuuHoSo`: the record as the portal holds it, None when it has none."""
        try:
            answer = self.call("TraCuuHoSo", {"MaHoSo": code})
        except PortalRejected as exc:
            if exc.code == UNKNOWN_DOSSIER:
                return None
            raise
        result = answer.get("result")
        return result if isinstance(result, dict) else None

    def procedure(self, code: str) -> dict[str, Any]:
        """`LayThuTuc`: the procedure as the national database holds it."""
        result = self.call("LayThuTuc", {"MaTTHC": code}).get("result")
        if not isinstance(result, dict):
            raise PortalUnavailable("Cổng DVC quốc gia không trả thông tin thủ tục")
        return result


def forget_sessions() -> None:
    with _SESSIONS_LOCK:
        _SESSIONS.clear()
