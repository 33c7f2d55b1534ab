"""A local stand-in for the national data store (kho dữ liệu điện tử của tổ chức, cá nhân on
the national public-service portal), for the embedded and demo mode only: it is NOT the
national store, holds no real person's data and is never served in production.

Legal source: none of its own (a stand-in for the national store of Decree 45/2020/NĐ-CP,
whose documents a citizen takes into their store here). It speaks the portal's transport and
the two services of /work/shared/domain/national-portal.md [UNCONFIRMED, like the adapter]:

    POST {base}/auth     {"username", "password"} + header dstcode -> {"error_code", "session"}
    POST {base}/service  {"session", "madonvi", "service", "data"}
        GetKetQuaGiayTo  the owner's results among the asked MaKetQua codes
        GetGiayToByUrl   {"TenTep", "NoiDung" (base64)} of a DuongDan it listed

so the citizen's page (datastore/views_national.py) goes through the real adapter
(datastore/national.py) end to end. It answers from HOLDINGS: three results of the demo
citizen (two civil-status papers, a land use right certificate). It accepts the account
this site is configured with (TINHSO_DVCQG_*, often empty in the demo). Its session token
is signed, not stored, so every gunicorn worker accepts the token another one issued.
Served only while `settings.DATASTORE_NATIONAL_SANDBOX` (embedded mode, the sandbox on,
neither TINHSO_DATASTORE_NATIONAL_URL nor TINHSO_DVCQG_URL set): beside a configured national
store it answers 404.
"""

from __future__ import annotations

import base64
import json
from functools import cache
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tinhso.people import demo as people_demo

SESSION_SALT = "tinhso.sandbox.national_store"
SESSION_SECONDS = 30 * 60
ASK_FIELDS = ("SoDinhDanhChuSoHuu", "SoDinhDanhNguoiYeuCau", "HoTenNguoiYeuCau", "KenhThucHien")

# What the stand-in holds: the demo citizen's birth certificate (which the demo store
# already holds, digitised at the counter: the page shows it "already in the store"), marriage
# certificate and land use right certificate, with the national result codes of the seeded
# document kinds (datastore migration 0002).
HOLDINGS: dict[str, list[dict[str, Any]]] = {
    people_demo.CITIZEN_PERSONAL_ID: [
        {
            "MaKetQua": "KQ.G15.000031",
            "TenGiayTo": "Giấy khai sinh",
            "SoKyHieu": "123/1990",
            "CoQuanChuQuan": "UBND xã Hòa Thắng",
            "DanhSachTepDinhKem": [
                {"TenTep": "giay-khai-sinh-123-1990.pdf", "DuongDan": "sandbox/gks-123-1990.pdf"}
            ],
        },
        {
            "MaKetQua": "KQ.G15.000032",
            "TenGiayTo": "Giấy chứng nhận kết hôn",
            "SoKyHieu": "45/2016",
            "CoQuanChuQuan": "UBND phường Tân Lợi",
            "DanhSachTepDinhKem": [
                {"TenTep": "giay-chung-nhan-ket-hon.pdf", "DuongDan": "sandbox/kh-45-2016.pdf"}
            ],
        },
        {
            "MaKetQua": "KQ.G10.001147",
            "TenGiayTo": "Giấy chứng nhận quyền sử dụng đất",
            "SoKyHieu": "CS04521",
            "CoQuanChuQuan": "Văn phòng Đăng ký đất đai tỉnh Đắk Lắk",
            "DanhSachTepDinhKem": [
                {"TenTep": "giay-chung-nhan-qsdd.pdf", "DuongDan": "sandbox/qsdd-cs04521.pdf"}
            ],
        },
    ]
}


@cache
def _file(text: str) -> str:
    from weasyprint import HTML

    pdf = bytes(
        HTML(string=f"<p>{text}</p><p>(Kho dữ liệu quốc gia - bản mô phỏng)</p>").write_pdf()
    )
    return base64.b64encode(pdf).decode()


def results(data: dict[str, Any]) -> tuple[str, str, Any]:
    """GetKetQuaGiayTo. MaThuTuc may be absent: the citizen's own page asks outside any
    procedure."""
    for name in ASK_FIELDS:
        if not data.get(name):
            return "1", f"Thiếu trường bắt buộc {name}", None
    wanted = {
        str(i.get("MaKetQua")): str(i.get("SoKyHieu") or "")
        for i in data.get("DanhSachDanhMucKetQua") or []
        if isinstance(i, dict)
    }
    if not wanted:
        return "1", "Thiếu DanhSachDanhMucKetQua", None
    found = [
        doc
        for doc in HOLDINGS.get(str(data["SoDinhDanhChuSoHuu"]), [])
        if doc["MaKetQua"] in wanted and wanted[doc["MaKetQua"]] in ("", doc["SoKyHieu"])
    ]
    return "0", "Thành công", {"DanhSachGiayToKetQua": found}


def by_url(data: dict[str, Any]) -> tuple[str, str, Any]:
    """GetGiayToByUrl: only a file it listed, asked with its own agency."""
    url = str(data.get("DuongDan") or "")
    for docs in HOLDINGS.values():
        for doc in docs:
            for file in doc["DanhSachTepDinhKem"]:
                if file["DuongDan"] != url:
                    continue
                if doc["CoQuanChuQuan"] != data.get("CoQuanChuQuan"):
                    return "5", "Cơ quan chủ quản không khớp", None
                content = _file(f"{doc['TenGiayTo']} số {doc['SoKyHieu']}")
                return "0", "Thành công", {"TenTep": file["TenTep"], "NoiDung": content}
    return "4", "Không tìm thấy tệp", None


def _account() -> tuple[str, str, str]:
    return (settings.DVCQG_USERNAME, settings.DVCQG_PASSWORD, settings.DVCQG_UNIT_CODE)


def _body(request: HttpRequest) -> dict[str, Any]:
    if not getattr(settings, "DATASTORE_NATIONAL_SANDBOX", False):
        raise Http404
    if request.content_type != "application/json":
        # the portal's side takes JSON only; a form or a file upload is a bad request (and
        # its body may already have been read as a form, which `request.body` refuses)
        raise BadRequest("JSON only")
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {}


def _answer(code: str, message: str, **more: Any) -> JsonResponse:
    return JsonResponse({"error_code": code, "message": message, **more})


@csrf_exempt  # server to server, as the portal's own endpoint
@require_POST
def auth(request: HttpRequest) -> JsonResponse:
    body = _body(request)
    username, password, unit = _account()
    given = (body.get("username"), body.get("password"), request.headers.get("dstcode", ""))
    if given != (username, password, unit):
        return _answer("-1", "Sai tài khoản")
    return _answer("0", "Thành công", session=signing.dumps(username, salt=SESSION_SALT))


@csrf_exempt  # server to server, as the portal's own endpoint
@require_POST
def service(request: HttpRequest) -> JsonResponse:
    body = _body(request)
    try:
        signing.loads(str(body.get("session")), salt=SESSION_SALT, max_age=SESSION_SECONDS)
    except signing.BadSignature:
        return _answer("-2", "Phiên làm việc hết hạn")
    if body.get("madonvi") != _account()[2]:
        return _answer("-1", "Sai mã đơn vị")
    name, data = body.get("service"), body.get("data")
    data = data if isinstance(data, dict) else {}
    if name == "GetKetQuaGiayTo":
        code, message, result = results(data)
    elif name == "GetGiayToByUrl":
        code, message, result = by_url(data)
    else:
        code, message, result = "-1", f"Không hỗ trợ dịch vụ {name}", None
    return _answer(code, message, **({} if result is None else {"result": result}))
