"""The national data store behind an adapter (kho dữ liệu điện tử của tổ chức, cá nhân trên
Cổng DVC quốc gia): find a person's results there (`GetKetQuaGiayTo`), fetch a file
(`GetGiayToByUrl`), and enter it into their store here with provenance "national store".

Legal source: Decree 45/2020/NĐ-CP (what the state already holds is not asked for again;
documents taken from the national store, `DuocLayTuKhoDMQG`). The transport and the two
messages are those of /work/shared/domain/national-portal.md, reconstructed from two
independent one-stop systems [UNCONFIRMED: the integration guide v1.4 was not read]: a
session from `POST {base}/auth`, then `POST {base}/service` with the service's name. The
portal's transport (sessions, renewal, HTTP errors) is the dvcqg adapter's `PortalClient`;
this module adds the two services, their shapes, explicit timeouts and its own typed errors.

Configuration: TINHSO_DATASTORE_NATIONAL_URL (empty: TINHSO_DVCQG_URL), the portal account
of TINHSO_DVCQG_USERNAME / _PASSWORD / _UNIT_CODE, TINHSO_DATASTORE_NATIONAL_TIMEOUT (read
timeout, seconds; connecting: 5 s) and TINHSO_DATASTORE_NATIONAL_MAX_MB (largest file).
Network calls happen before any transaction: `enter` fetches, then `add_from_national_store`
checks the file and writes the row in its own transaction.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from tinhso.core.outbox import PermanentError, RetryableError
from tinhso.dvcqg.client import (
    PortalClient,
    PortalError,
    PortalRefusedLogin,
    PortalRejected,
    PortalUnavailable,
)

GET_RESULTS = "GetKetQuaGiayTo"
GET_FILE = "GetGiayToByUrl"
CONNECT_TIMEOUT = 5.0


class NationalStoreError(Exception):
    """Anything the national store adapter raises; the message is Vietnamese."""


class NationalStoreUnavailable(NationalStoreError, RetryableError):
    """No useful answer (timeout, connection refused, 5xx, unreadable): try again later."""


class NationalStoreRejected(NationalStoreError, PermanentError):
    """The portal refused the call (its own message), or answered with a shape or a file
    this adapter does not accept (too large, not base64)."""


class NationalStoreNotConfigured(NationalStoreError, PermanentError):
    """Neither TINHSO_DATASTORE_NATIONAL_URL nor TINHSO_DVCQG_URL is set."""


class AlreadyTaken(NationalStoreError, PermanentError):
    """The owner's store already holds this paper (`held`: the same national file, or a
    document of the same kind and number) (`enter(once=True)`)."""


@dataclass(frozen=True)
class NationalFile:
    name: str  # TenTep
    url: str  # DuongDan: what GetGiayToByUrl fetches, kept as the document's national_ref


@dataclass(frozen=True)
class NationalDocument:
    """One `DanhSachGiayToKetQua` item of `GetKetQuaGiayTo`."""

    result_code: str  # MaKetQua, e.g. KQ.G15.000033
    name: str  # TenGiayTo
    number: str  # SoKyHieu
    agency: str  # CoQuanChuQuan: sent back to GetGiayToByUrl
    files: tuple[NationalFile, ...]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


@dataclass
class NationalStore:
    client: PortalClient
    max_bytes: int

    @classmethod
    def from_settings(cls) -> NationalStore:
        url = settings.DATASTORE_NATIONAL_URL or settings.DVCQG_URL
        if not url:
            raise NationalStoreNotConfigured(
                "Chưa cấu hình địa chỉ kho dữ liệu quốc gia (TINHSO_DATASTORE_NATIONAL_URL)."
            )
        client = PortalClient(
            base_url=url,
            username=settings.DVCQG_USERNAME,
            password=settings.DVCQG_PASSWORD,
            unit_code=settings.DVCQG_UNIT_CODE,
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=float(settings.DATASTORE_NATIONAL_TIMEOUT),
        )
        return cls(client, int(settings.DATASTORE_NATIONAL_MAX_MB) * 1024 * 1024)

    def _call(self, service: str, data: dict[str, Any]) -> Any:
        try:
            return self.client.call(service, data).get("result")
        except PortalUnavailable as exc:
            raise NationalStoreUnavailable(f"Kho dữ liệu quốc gia: {exc}") from exc
        except PortalRejected as exc:
            raise NationalStoreRejected(
                f"Kho dữ liệu quốc gia từ chối: {exc.portal_message} (mã {exc.code})"
            ) from exc
        except PortalRefusedLogin as exc:
            raise NationalStoreRejected(str(exc)) from exc
        except PortalError as exc:
            raise NationalStoreRejected(str(exc)) from exc

    def results(
        self,
        *,
        owner_id: str,
        requester_id: str,
        requester_name: str,
        procedure_code: str,
        wanted: list[tuple[str, str]],
        channel: int = 2,
    ) -> list[NationalDocument]:
        """GetKetQuaGiayTo: the owner's (`SoDinhDanhChuSoHuu`) results of the kinds `wanted`
        (`MaKetQua`, `SoKyHieu` or "") for the procedure `procedure_code`, asked by the
        requester (`KenhThucHien` 2: online)."""
        data: dict[str, Any] = {
            "SoDinhDanhChuSoHuu": owner_id,
            "SoDinhDanhNguoiYeuCau": requester_id,
            "HoTenNguoiYeuCau": requester_name,
            "KenhThucHien": str(channel),
            # the citizen's own page asks outside any procedure: MaThuTuc is then omitted,
            # as empty optional values are (national-portal.md) [UNCONFIRMED: optional?]
            **({"MaThuTuc": procedure_code} if procedure_code else {}),
            "DanhSachDanhMucKetQua": [
                {"MaKetQua": code, **({"SoKyHieu": number} if number else {})}
                for code, number in wanted
            ],
        }
        result = self._call(GET_RESULTS, data)
        items = result.get("DanhSachGiayToKetQua") if isinstance(result, dict) else None
        if not isinstance(items, list):
            raise NationalStoreRejected(
                "Kho dữ liệu quốc gia trả về kết quả không đúng dạng (thiếu DanhSachGiayToKetQua)."
            )
        found = []
        for item in items:
            if not isinstance(item, dict):
                continue
            files = tuple(
                NationalFile(_text(f.get("TenTep")), _text(f.get("DuongDan")))
                for f in item.get("DanhSachTepDinhKem") or []
                if isinstance(f, dict) and _text(f.get("DuongDan"))
            )
            found.append(
                NationalDocument(
                    result_code=_text(item.get("MaKetQua")),
                    name=_text(item.get("TenGiayTo")),
                    number=_text(item.get("SoKyHieu")),
                    agency=_text(item.get("CoQuanChuQuan")),
                    files=files,
                )
            )
        return found

    def fetch(self, *, agency: str, url: str) -> tuple[str, bytes]:
        """GetGiayToByUrl: the file at `url` (its name, its bytes), at most `max_bytes`."""
        result = self._call(GET_FILE, {"CoQuanChuQuan": agency, "DuongDan": url})
        if not isinstance(result, dict) or not isinstance(result.get("NoiDung"), str):
            raise NationalStoreRejected(
                "Kho dữ liệu quốc gia trả về tệp không đúng dạng (thiếu NoiDung)."
            )
        encoded = result["NoiDung"]
        if len(encoded) > (self.max_bytes + 2) // 3 * 4 + 4:  # before decoding it
            raise NationalStoreRejected("Tệp từ kho dữ liệu quốc gia vượt quá dung lượng cho phép.")
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise NationalStoreRejected(
                "Tệp từ kho dữ liệu quốc gia không đọc được (NoiDung không phải base64)."
            ) from None
        if len(content) > self.max_bytes:
            raise NationalStoreRejected("Tệp từ kho dữ liệu quốc gia vượt quá dung lượng cho phép.")
        return _text(result.get("TenTep")) or "giay-to", content


def enter(
    owner: Any,
    document: NationalDocument,
    file: NationalFile,
    *,
    store: NationalStore | None = None,
    actor: Any = None,
    once: bool = False,
) -> Any:
    """Fetch `file` of `document` (network, no transaction open) and enter it into `owner`'s
    store with provenance "national store" and its URL (`datastore.actions`); the kind is the
    one whose national code is `MaKetQua`, else the generic result kind. The file is checked
    (type sniffed) by `add_from_national_store`, which refuses what it refuses for uploads.

    `once`: a paper the owner already holds is refused (`AlreadyTaken`): the same national
    file (URL), or the same document (kind and number, `held`) whatever its provenance, e.g.
    the copy digitised at the counter. Checked before the fetch and again under a lock on the
    owner's row, so a double click or two tabs cannot enter it twice. The lock is taken after
    the fetch: no network call under it."""
    from django.db import transaction

    if once and held(owner, document, file):
        raise AlreadyTaken("Giấy tờ này đã có trong kho dữ liệu của Ông/Bà.")
    store = store or NationalStore.from_settings()
    name, content = store.fetch(agency=document.agency, url=file.url)
    if once:
        with transaction.atomic():
            type(owner).objects.select_for_update().filter(pk=owner.pk).first()
            if held(owner, document, file):
                raise AlreadyTaken("Giấy tờ này đã có trong kho dữ liệu của Ông/Bà.")
            return _entered(owner, document, file, name, content, actor)
    return _entered(owner, document, file, name, content, actor)


def number_key(number: str) -> str:
    """A document number as compared across stores: NFC, case and white space ignored
    ("123/1990", "123 / 1990" and "123/1990 " are one number)."""
    from tinhso.core.text import normalize

    return "".join(normalize(number).casefold().split())


def kind_of(document: NationalDocument) -> Any:
    """The store's kind of a national result: the kind whose national code is `MaKetQua`
    (the first by pk), else the generic result kind."""
    from tinhso.datastore import actions
    from tinhso.datastore.models import DocumentKind

    kind = (
        DocumentKind.objects.filter(national_code=document.result_code).order_by("pk").first()
        if document.result_code
        else None
    )
    if kind is None:
        kind, _ = DocumentKind.objects.get_or_create(
            code=actions.GENERIC_RESULT_KIND,
            defaults={"name": "Kết quả giải quyết thủ tục hành chính"},
        )
    return kind


class Holdings:
    """What `owner`'s store already holds, read once for a whole national list: the national
    URLs taken, and each document's (kind, `number_key`) whatever its provenance."""

    def __init__(self, owner: Any) -> None:
        from tinhso.datastore.models import StoredDocument
        from tinhso.people.models import Citizen

        field = "citizen" if isinstance(owner, Citizen) else "organisation"
        rows = StoredDocument.objects.filter(**{field: owner}).values_list(
            "kind_id", "number", "provenance", "national_ref"
        )
        self.urls: set[str] = set()
        self.papers: set[tuple[int, str]] = set()
        for kind_id, number, provenance, ref in rows:
            if provenance == StoredDocument.Provenance.NATIONAL_STORE and ref:
                self.urls.add(ref)
            if number_key(number):
                self.papers.add((kind_id, number_key(number)))

    def holds(self, document: NationalDocument, file: NationalFile, kind: Any) -> bool:
        key = number_key(document.number)
        return file.url[:500] in self.urls or (bool(key) and (kind.pk, key) in self.papers)


def held(owner: Any, document: NationalDocument, file: NationalFile) -> bool:
    """Whether `owner`'s store already holds this national paper: its file (its national URL), or a
    document of the same kind and number (`number_key`), e.g. the certified copy digitised
    at the counter. A paper without a number is judged by its file only."""
    return Holdings(owner).holds(document, file, kind_of(document))


def _entered(
    owner: Any,
    document: NationalDocument,
    file: NationalFile,
    name: str,
    content: bytes,
    actor: Any,
) -> Any:
    from tinhso.datastore import actions

    return actions.add_from_national_store(
        owner,
        kind=kind_of(document),
        file_name=file.name or name,
        content=content,
        national_ref=file.url,
        number=document.number,
        issuer_name=document.agency,
        actor=actor,
    )
