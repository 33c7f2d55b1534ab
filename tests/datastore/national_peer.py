"""A local stand-in for the national data store (kho dữ liệu quốc gia) behind the national
portal's integration service, in its own process, speaking the messages of
shared/domain/national-portal.md. It imports nothing from tinhso.

    POST /auth      {"username", "password"} + header dstcode -> {"error_code": "0", "session"}
    POST /service   {"session", "madonvi", "service", "isUpdating", "data"}
                    GetKetQuaGiayTo: the owner's results of the asked MaKetQua codes
                    GetGiayToByUrl:  {"TenTep", "NoiDung" (base64)} of a DuongDan it listed

Its holdings come from a JSON file: {"owners": {SoDinhDanh: [{"MaKetQua", "TenGiayTo",
"SoKyHieu", "CoQuanChuQuan", "DanhSachTepDinhKem": [{"TenTep", "DuongDan"}]}]},
"files": {DuongDan: base64}}. Test controls (not the portal's):

    POST /_mode     {"mode": "normal" | "500" | "slow" | "garbage" | "expire"}
    GET  /_calls    every service call received, in order

Run: python national_peer.py USERNAME PASSWORD UNIT_CODE HOLDINGS_FILE; prints its port first.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# MaThuTuc is not required: a citizen asking for their own papers outside any procedure
# omits it (empty optional values are omitted) [UNCONFIRMED: the portal may require it]
ASK_FIELDS = (
    "SoDinhDanhChuSoHuu",
    "SoDinhDanhNguoiYeuCau",
    "HoTenNguoiYeuCau",
    "KenhThucHien",
)


def main() -> None:
    username, password, unit_code, holdings_file = sys.argv[1:5]
    with open(holdings_file, encoding="utf-8") as source:
        holdings = json.load(source)
    state: dict = {"mode": "normal", "sessions": set(), "calls": []}

    def results(data: dict) -> tuple[str, str, object]:
        for name in ASK_FIELDS:
            if not data.get(name):
                return "1", f"Thiếu trường bắt buộc {name}", None
        wanted = {
            i.get("MaKetQua"): i.get("SoKyHieu") for i in data.get("DanhSachDanhMucKetQua") or []
        }
        if not wanted:
            return "1", "Thiếu DanhSachDanhMucKetQua", None
        found = [
            doc
            for doc in holdings["owners"].get(data["SoDinhDanhChuSoHuu"], [])
            if doc["MaKetQua"] in wanted
            and (not wanted[doc["MaKetQua"]] or wanted[doc["MaKetQua"]] == doc["SoKyHieu"])
        ]
        return "0", "Thành công", {"DanhSachGiayToKetQua": found}

    def by_url(data: dict) -> tuple[str, str, object]:
        url = data.get("DuongDan") or ""
        listed = [
            doc
            for docs in holdings["owners"].values()
            for doc in docs
            if any(f["DuongDan"] == url for f in doc["DanhSachTepDinhKem"])
        ]
        if not listed or url not in holdings["files"]:
            return "4", "Không tìm thấy tệp", None
        if listed[0]["CoQuanChuQuan"] != data.get("CoQuanChuQuan"):
            return "5", "Cơ quan chủ quản không khớp", None
        name = next(f["TenTep"] for f in listed[0]["DanhSachTepDinhKem"] if f["DuongDan"] == url)
        return "0", "Thành công", {"TenTep": name, "NoiDung": holdings["files"][url]}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: object) -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            if self.path == "/_calls":
                self._send(200, state["calls"])
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._send(400, {"error_code": "-1", "message": "JSON không hợp lệ"})
                return
            if self.path == "/_mode":
                state["mode"] = body["mode"]
                if body["mode"] == "expire":
                    state["sessions"].clear()
                    state["mode"] = "normal"
                self._send(200, {"ok": True})
                return
            mode = state["mode"]
            if mode == "500":
                self._send(500, {"error": "down"})
                return
            if mode == "slow":
                time.sleep(3)
            if mode == "garbage":
                self._send(200, b"<html>not json</html>")
                return
            if self.path == "/auth":
                ok = (
                    body.get("username") == username
                    and body.get("password") == password
                    and self.headers.get("dstcode") == unit_code
                )
                if not ok:
                    self._send(200, {"error_code": "-1", "message": "Sai tài khoản"})
                    return
                token = secrets.token_hex(8)
                state["sessions"].add(token)
                self._send(200, {"error_code": "0", "session": token})
                return
            if self.path != "/service":
                self._send(404, {"error": "not found"})
                return
            if body.get("session") not in state["sessions"]:
                self._send(200, {"error_code": "-2", "message": "Phiên làm việc hết hạn"})
                return
            service, data = body.get("service"), body.get("data") or {}
            state["calls"].append(
                {"service": service, "madonvi": body.get("madonvi"), "data": data}
            )
            if body.get("madonvi") != unit_code:
                self._send(200, {"error_code": "-1", "message": "Sai mã đơn vị"})
                return
            if service == "GetKetQuaGiayTo":
                code, message, result = results(data)
            elif service == "GetGiayToByUrl":
                code, message, result = by_url(data)
            else:
                code, message, result = "-1", f"Không hỗ trợ dịch vụ {service}", None
            answer: dict = {"error_code": code, "message": message}
            if result is not None:
                answer["result"] = result
            self._send(200, answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
