"""A small stand-in for the national payment platform (PayGov), in its own process.

It answers INIT, QUERY and GET_BILL as docs/payments.md reconstructs them, with its own
checksum code (it imports nothing from tinhso). What it answers depends on the reference:

    PAID-*     QUERY TrangThaiGD 1 (success); GET_BILL a receipt
    PENDING-*  QUERY TrangThaiGD 3
    FAILED-*   QUERY TrangThaiGD 4
    BADSIG-*   an answer whose MaXacThuc is wrong
    SLOW-*     answers after 3 seconds
    BROKEN-*   HTTP 503
    anything else: QUERY MaLoi 91 (not found)

A request with a wrong MaXacThuc gets MaLoi 97, without the bearer token HTTP 401. Every
request is appended as one JSON line (with its Authorization header) to the log file.

The platform's side of a payment: `POST /test/confirm` with {"url": <our CONFIRM address>,
"ref", "amount", "code" (MaLoi, "00" by default), "secret" (to sign with another one),
"after": {fields changed after signing}} makes the peer sign a CONFIRM and POST it there as
JSON; it answers {"status": <HTTP status>, "body": <our answer>, "sent": <the CONFIRM>}.

Run: python paygov_peer.py PARTNER SECRET TOKEN LOG_FILE; it prints its port first.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

SIGNED_IN = {
    "INIT": "LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|SoTien|LoaiHinhThanhToan|MaKenhThanhToan|"
    "MaThietBi|NgonNgu|MaTienTe|MaNganHang|ThongTinGiaoDich|ThoiGianGD|Ip",
    "QUERY": "LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|ThoiGianGD",
    "GET_BILL": "LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|ThoiGianGD",
}
SIGNED_OUT = (
    "LoaiBanTin|MaLoi|MaDoiTac|MaThamChieu|SoTien|MaTienTe|MaGiaoDich|MaNganHang|ThoiGianGD|"
    "ThongTinGiaoDich"
)


def sha(message: dict, order: str, secret: str) -> str:
    values = [str(message.get(name, "")) for name in order.split("|")]
    return hashlib.sha256("|".join([*values, secret]).encode("utf-8")).hexdigest()


def main() -> None:
    partner, secret, token, log_file = sys.argv[1:5]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            message = json.loads(body.decode("utf-8"))
            if self.path == "/test/confirm":
                self.answer(self.confirm(message))
                return
            with open(log_file, "a") as log:
                entry = {"Authorization": self.headers.get("Authorization", ""), **message}
                log.write(json.dumps(entry, ensure_ascii=False) + "\n")
            if self.headers.get("Authorization") != f"Bearer {token}":
                self.send_response(401)
                self.end_headers()
                return
            ref = message.get("MaThamChieu", "")
            if ref.startswith("SLOW-"):
                time.sleep(3)
            if ref.startswith("BROKEN-"):
                self.send_response(503)
                self.end_headers()
                return
            self.answer(self.reply(message, ref))

        def reply(self, message: dict, ref: str) -> dict:
            kind = message.get("LoaiBanTin", "")
            answer = {"LoaiBanTin": kind, "MaDoiTac": partner, "MaThamChieu": ref}
            if kind not in SIGNED_IN or message.get("MaXacThuc") != sha(
                message, SIGNED_IN[kind], secret
            ):
                answer["MaLoi"] = "97"
            elif kind == "INIT":
                answer.update(
                    MaLoi="00",
                    UrlThanhToan=f"https://thanhtoan.example.vn/pay?ref={ref}",
                    SoTien=message["SoTien"],
                )
            elif ref.split("-")[0] in {"PAID", "PENDING", "FAILED", "BADSIG"}:
                state = {"PENDING": "3", "FAILED": "4"}.get(ref.split("-")[0], "1")
                answer.update(
                    MaLoi="00",
                    TrangThaiGD=state,
                    SoTien="150000",
                    MaTienTe="VND",
                    MaGiaoDich="PG000123" if state == "1" else "",
                    MaNganHang="VCB",
                    ThoiGianGD="20261205143015",
                    ThongTinGiaoDich="Le phi ho tich",
                )
                if kind == "GET_BILL":
                    answer.update(SoBienLai="0000123", KyHieu="BL-25", UrlBienLai="https://x/b.pdf")
            else:
                answer["MaLoi"] = "91"
            answer["MaXacThuc"] = sha(answer, SIGNED_OUT, secret)
            if ref.startswith("BADSIG-"):
                answer["SoTien"] = "1"
            return answer

        def confirm(self, order: dict) -> dict:
            """The platform telling the merchant how a payment ended (CONFIRM)."""
            fields = {
                "LoaiBanTin": "CONFIRM",
                "MaLoi": order.get("code", "00"),
                "MaDoiTac": partner,
                "MaThamChieu": order["ref"],
                "SoTien": str(order["amount"]),
                "MaTienTe": "VND",
                "MaGiaoDich": "PG000777",
                "MaNganHang": "VCB",
                "ThoiGianGD": "20261205143512",
                "ThongTinGiaoDich": "Lệ phí cung cấp thông tin",
            }
            fields["MaXacThuc"] = sha(fields, SIGNED_OUT, order.get("secret", secret))
            fields.update(order.get("after", {}))
            request = urllib.request.Request(
                order["url"],
                json.dumps(fields, ensure_ascii=False).encode("utf-8"),
                {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=20) as r:
                    return {"status": r.status, "body": json.loads(r.read()), "sent": fields}
            except urllib.error.HTTPError as error:
                return {"status": error.code, "body": error.read().decode(), "sent": fields}

        def answer(self, payload: dict) -> None:
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = HTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
