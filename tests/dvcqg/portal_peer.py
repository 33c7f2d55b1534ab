"""A local stand-in for the national public-service portal's integration service, in its own
process, speaking the messages docs/dvcqg.md describes, with its own store (a JSON file).
It imports nothing from tinhso.

    POST /auth      {"username", "password"} + header dstcode -> {"error_code": "0", "session"}
    POST /service   {"session", "madonvi", "service", "isUpdating", "data"}
                    DongBoHoSoMC, CapNhatTienDoHoSoMC, TraCuuHoSo, LayThuTuc

It checks each record the way the portal is described to: required fields, status and channel
codes, dates as yyyyMMddHHmmss, a known procedure code; a DongBoHoSoMC or CapNhatTienDoHoSoMC
call carries 1 to 10 records (more refuses the whole call), and DongBoHoSoMC answers each
record on its own (accepted, "đã tồn tại", or refused with its message). A call refused as a
whole (too many records, a record without MaHoSo, one bad progress row) keeps none of its
records or rows: our reading of "refused"; the guide does not say. Test controls (not the
portal's):

    POST /_mode     {"mode": "normal" | "500" | "down" | "slow"}   ("down" drops connections)
    POST /_expire   every session expires (the next call gets error_code -2)
    POST /_seed     {"records": [record]}: dossiers filed on the portal itself (inbound)
    POST /_forget   {"MaHoSo"}: the portal loses a record (for the reconciliation)
    GET  /_store    the store: {"records": {MaHoSo: record}, "progress": [...], "calls": [...]
                    (each service call with "records", how many records or rows it carried),
                    "arrivals": [{"MaHoSo", "TrangThaiHoSo", "NgayKetThucXuLy", "at"}, ...],
                    "progress_arrivals": [[MaHoSo, NoiDungXuLy, at], ...]}

`arrivals` is every record the portal accepted, in the order it accepted them (one lock
serialises the requests, so that order is the portal's), for the tests of ordering.

Run: python portal_peer.py USERNAME PASSWORD UNIT_CODE PROCEDURES STORE_FILE; it prints its
port first. PROCEDURES is a comma-separated list of the procedure codes it knows.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DATE = re.compile(r"^\d{14}$")
DATE_FIELDS = (
    "NgayNopHoSo",
    "NgayTiepNhan",
    "NgayHenTra",
    "NgayKetThucXuLy",
    "NgayTra",
    "NgayTuChoi",
)
REQUIRED = ("MaHoSo", "MaTTHC", "KenhThucHien", "TrangThaiHoSo", "ChuHoSo")
PROGRESS_REQUIRED = ("MaHoSo", "ThoiDiemXuLy", "NoiDungXuLy", "TrangThai")


def main() -> None:
    username, password, unit_code, procedures, store_file = sys.argv[1:6]
    known = set(filter(None, procedures.split(",")))
    state = {"mode": "normal", "sessions": set()}
    store: dict = {
        "records": {},
        "progress": [],
        "calls": [],
        "arrivals": [],
        "progress_arrivals": [],
    }
    lock = threading.Lock()  # one request at a time: the store's order is the arrival order

    dirty = threading.Event()

    def write() -> None:
        temporary = store_file + ".tmp"
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(store, out, ensure_ascii=False)
        os.replace(temporary, store_file)

    def save() -> None:
        """The file follows within a fifth of a second (a writer thread), not on every call:
        a large store written per call would make the peer, not tinhso, the bottleneck."""
        dirty.set()

    def writer() -> None:
        while True:
            dirty.wait()
            time.sleep(0.2)
            with lock:
                dirty.clear()
                write()

    write()
    threading.Thread(target=writer, daemon=True).start()

    def check_record(record: dict) -> tuple[str, str]:
        for name in REQUIRED:
            if record.get(name) in (None, ""):
                return "1", f"Thiếu trường bắt buộc {name}"
        for name, value in record.items():
            if value == "":
                return "1", f"Trường {name} rỗng"
        if record["TrangThaiHoSo"] not in range(1, 11):
            return "1", "TrangThaiHoSo không hợp lệ"
        if record["KenhThucHien"] not in (1, 2, 3):
            return "1", "KenhThucHien không hợp lệ"
        for name in DATE_FIELDS:
            if name in record and not DATE.match(str(record[name])):
                return "1", f"Trường {name} không đúng định dạng yyyyMMddHHmmss"
        if record["MaTTHC"] not in known:
            return "2", f"Mã thủ tục {record['MaTTHC']} không tồn tại trên CSDL quốc gia về TTHC"
        return "0", "Thành công"

    def sync(data: list, updating: bool) -> list | None:
        if not all(isinstance(r, dict) and r.get("MaHoSo") for r in data):
            return None  # a record it cannot answer by its code: the whole call refused
        items = []
        for record in data:
            code, message = check_record(record)
            ma = record.get("MaHoSo", "")
            if code == "0" and not updating and ma in store["records"]:
                code, message = "3", "Hồ sơ đã tồn tại trên hệ thống"
            if code == "0" and updating and ma not in store["records"]:
                code, message = "4", "Hồ sơ không tồn tại"
            if code == "0":
                store["records"][ma] = record
                store["arrivals"].append(
                    {
                        "MaHoSo": ma,
                        "TrangThaiHoSo": record["TrangThaiHoSo"],
                        "NgayKetThucXuLy": record.get("NgayKetThucXuLy"),
                        "at": time.time(),
                    }
                )
            items.append({"MaHoSo": ma, "error_code": code, "message": message})
        return items

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, body: dict, status: int = 200) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/_store":
                with lock:
                    self.answer(store)
            else:
                self.answer({}, 404)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            message = json.loads(body.decode("utf-8") or "{}")
            if state["mode"] == "slow" and self.path not in ("/_mode", "/_store"):
                time.sleep(2)
            with lock:
                return self.post(message)

        def post(self, message: dict):
            if self.path == "/_forget":
                store["records"].pop(message.get("MaHoSo"), None)
                save()
                return self.answer({})
            if self.path == "/_seed":
                for record in message.get("records", []):
                    store["records"][record["MaHoSo"]] = record
                save()
                return self.answer({})
            if self.path == "/_mode":
                state["mode"] = message["mode"]
                return self.answer({"mode": state["mode"]})
            if self.path == "/_expire":
                state["sessions"].clear()
                return self.answer({})
            mode = state["mode"]
            if mode == "down":
                self.close_connection = True
                self.connection.close()
                return None
            if mode == "500":
                return self.answer({"message": "Internal Server Error"}, 500)
            if self.path == "/auth":
                return self.auth(message)
            if self.path == "/service":
                return self.service(message)
            return self.answer({}, 404)

        def auth(self, message: dict) -> None:
            ok = (
                message.get("username") == username
                and message.get("password") == password
                and self.headers.get("dstcode") == unit_code
            )
            store["calls"].append({"path": "/auth", "ok": ok})
            save()
            if not ok:
                return self.answer({"error_code": "-1", "message": "Sai tài khoản hoặc mật khẩu"})
            token = secrets.token_hex(8)
            state["sessions"].add(token)
            return self.answer({"error_code": "0", "session": token})

        def service(self, message: dict) -> None:
            name = message.get("service")
            data = message.get("data")
            store["calls"].append(
                {
                    "path": "/service",
                    "service": name,
                    "isUpdating": message.get("isUpdating"),
                    # how many records the call carried: the tests check the batching
                    "records": len(data) if isinstance(data, list) else None,
                }
            )
            if message.get("session") not in state["sessions"]:
                save()
                return self.answer({"error_code": "-2", "message": "Phiên làm việc hết hạn"})
            if message.get("madonvi") != unit_code:
                save()
                return self.answer({"error_code": "-1", "message": "Sai mã đơn vị"})
            if name == "DongBoHoSoMC":
                if not isinstance(data, list) or not 0 < len(data) <= 10:
                    result = None  # at most 10 records a call: the whole call refused
                else:
                    result = sync(data, message.get("isUpdating") == "True")
            elif name == "CapNhatTienDoHoSoMC":
                if not isinstance(data, list) or not 0 < len(data) <= 10:
                    save()  # at most 10 rows a call, as for the records: the whole call refused
                    return self.answer({"error_code": "1", "message": "Dữ liệu không hợp lệ"})
                result = []
                for row in data:  # one bad row refuses the whole call: none of its rows kept
                    missing = [n for n in PROGRESS_REQUIRED if row.get(n) in (None, "")]
                    if missing or not DATE.match(str(row["ThoiDiemXuLy"])):
                        save()
                        return self.answer({"error_code": "1", "message": "Tiến độ không hợp lệ"})
                for row in data:
                    store["progress"].append(row)
                    store["progress_arrivals"].append(
                        [row["MaHoSo"], row.get("NoiDungXuLy", ""), time.time()]
                    )
            elif name == "TraCuuHoSo":
                found = store["records"].get((data or {}).get("MaHoSo"))
                save()
                if found is None:
                    return self.answer({"error_code": "4", "message": "Không tìm thấy hồ sơ"})
                return self.answer({"error_code": "0", "message": "Thành công", "result": found})
            elif name == "LayThuTuc":
                code = (data or {}).get("MaTTHC")
                save()
                if code not in known:
                    return self.answer({"error_code": "4", "message": "Không tìm thấy thủ tục"})
                return self.answer(
                    {"error_code": "0", "message": "Thành công", "result": {"MaTTHC": code}}
                )
            else:
                save()
                return self.answer({"error_code": "-1", "message": f"Không có dịch vụ {name}"})
            save()
            if result is None:
                return self.answer({"error_code": "1", "message": "Dữ liệu không hợp lệ"})
            return self.answer({"error_code": "0", "message": "Thành công", "result": result})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
