"""A small VNPay merchant web API, in its own process, for the client's tests.

It speaks `merchant_webapi/api/transaction` as VNPay's published text describes it, with its
own signing code (it imports nothing from tinhso), so a mistake in tinhso's signing cannot be
mirrored here. What it answers depends on the transaction reference the test chose:

    PAID-*       QueryDR 00, status 00 (paid); refund 00, status 05 (submitted)
    DONE-*       refund 00, status 00 (refunded)
    PENDING-*    QueryDR 00, status 01 (not completed)
    BADSIG-*     a paid answer whose hash is wrong
    OTHER-*      a correctly signed answer for another merchant code
    SLOW-*       answers after 3 seconds
    BROKEN-*     HTTP 502
    anything else: 91 (not found); a refund of it: 95

A request whose own hash is wrong gets 97, another merchant code 02. Every request is
appended as one JSON line to the log file so tests can read what was sent.

`POST /test/refund` {"txn_ref": .., "status": "05" | "06" | "09" | "00"} moves a refund
of a payment made through the page (accepted as 00/05) on at the bank; QueryDR then reports
the transaction with the refund's type (02 full, 03 partial) and that status.

It can also play the payment page for the ledger's tests: `POST /test/decide` with JSON
{"url": <payment URL>, "choice": "approve" | "cancel" | "fail" | "expire", "ipn": <IPN URL or
"">} checks the URL's signature (400 if wrong), remembers the outcome under its reference
(QueryDR then answers from it), calls the IPN with the signed fields when given, and answers
{"return_url": <the signed return>, "ipn": {"status": .., "body": ..}}.

Run: python vnpay_peer.py TMN_CODE SECRET LOG_FILE; it prints its port on the first line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

QUERY_IN = "RequestId|Version|Command|TmnCode|TxnRef|TransactionDate|CreateDate|IpAddr|OrderInfo"
REFUND_IN = (
    "RequestId|Version|Command|TmnCode|TransactionType|TxnRef|Amount|TransactionNo|"
    "TransactionDate|CreateBy|CreateDate|IpAddr|OrderInfo"
)
QUERY_OUT = (
    "ResponseId|Command|ResponseCode|Message|TmnCode|TxnRef|Amount|BankCode|PayDate|"
    "TransactionNo|TransactionType|TransactionStatus|OrderInfo|PromotionCode|PromotionAmount"
)
REFUND_OUT = (
    "ResponseId|Command|ResponseCode|Message|TmnCode|TxnRef|Amount|BankCode|PayDate|"
    "TransactionNo|TransactionType|TransactionStatus|OrderInfo"
)
PAID_AMOUNT = "15000000"  # 150,000 đồng × 100
PAY_DATE = "20261205143015"  # 14:30:15 GMT+7


def pipe_hash(secret: str, message: dict, order: str) -> str:
    joined = "|".join(str(message.get("vnp_" + name, "")) for name in order.split("|"))
    return hmac.new(secret.encode(), joined.encode(), hashlib.sha512).hexdigest()


def form_encode(text: str) -> str:
    """As PHP's urlencode: A-Z a-z 0-9 - _ . kept, space +, every other byte %XX."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char.isascii() and (char.isalnum() or char in "-_."):
            out.append(char)
        elif char == " ":
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def form_hash(secret: str, fields: dict) -> str:
    kept = sorted(
        (k, v)
        for k, v in fields.items()
        if k.startswith("vnp_") and v and k not in ("vnp_SecureHash", "vnp_SecureHashType")
    )
    data = "&".join(f"{form_encode(k)}={form_encode(v)}" for k, v in kept)
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


CHOICES = {
    "approve": ("00", "00"),
    "cancel": ("24", "02"),
    "fail": ("51", "02"),
    "expire": ("11", "02"),
}


def main() -> None:
    tmn_code, secret, log_file = sys.argv[1:4]
    decided: dict[str, dict] = {}  # txn_ref -> the signed result fields

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            message = json.loads(body)
            with open(log_file, "a") as log:
                log.write(json.dumps(message) + "\n")
            if self.path == "/test/decide":
                self.decide(message)
                return
            if self.path == "/test/refund":  # the bank moves a refund on: {"txn_ref", "status"}
                decided[message["txn_ref"]]["refund"]["status"] = message["status"]
                self.answer({})
                return
            ref = message.get("vnp_TxnRef", "")
            if ref.startswith("SLOW-"):
                time.sleep(3)
            if ref.startswith("BROKEN-"):
                self.send_response(502)
                self.end_headers()
                return
            self.answer(self.reply(message, ref))

        def decide(self, order: dict) -> None:
            url = order["url"]
            fields = dict(parse_qsl(urlsplit(url).query))
            if (
                fields.get("vnp_SecureHash") != form_hash(secret, fields)
                or fields.get("vnp_TmnCode") != tmn_code
            ):
                self.send_response(400)
                self.end_headers()
                return
            code, status = CHOICES[order["choice"]]
            number = str(14_000_000 + len(decided) + 1)
            result = {
                "vnp_Amount": fields["vnp_Amount"],
                "vnp_BankCode": "NCB",
                "vnp_CardType": "ATM",
                "vnp_OrderInfo": fields.get("vnp_OrderInfo", ""),
                "vnp_PayDate": PAY_DATE,
                "vnp_ResponseCode": code,
                "vnp_TmnCode": tmn_code,
                "vnp_TransactionNo": "0" if code == "24" else number,
                "vnp_TransactionStatus": status,
                "vnp_TxnRef": fields["vnp_TxnRef"],
            }
            if code == "00":
                result["vnp_BankTranNo"] = "VNP" + number
            result["vnp_SecureHash"] = form_hash(secret, result)
            decided[fields["vnp_TxnRef"]] = {**result, "create_date": fields["vnp_CreateDate"]}
            query = "&".join(f"{form_encode(k)}={form_encode(v)}" for k, v in result.items())
            ipn = {}
            if order.get("ipn"):
                try:
                    with urllib.request.urlopen(f"{order['ipn']}?{query}", timeout=10) as r:
                        ipn = {"status": r.status, "body": r.read().decode()}
                except urllib.error.HTTPError as error:
                    ipn = {"status": error.code, "body": error.read().decode()}
            back = fields["vnp_ReturnUrl"]
            self.answer({"return_url": f"{back}{'&' if '?' in back else '?'}{query}", "ipn": ipn})

        def reply(self, message: dict, ref: str) -> dict:
            command = message.get("vnp_Command")
            order_in, order_out = (
                (QUERY_IN, QUERY_OUT) if command == "querydr" else (REFUND_IN, REFUND_OUT)
            )
            answer = {
                "vnp_ResponseId": "R" + message.get("vnp_RequestId", ""),
                "vnp_Command": command,
                "vnp_TmnCode": message.get("vnp_TmnCode", ""),
                "vnp_TxnRef": ref,
                "vnp_OrderInfo": message.get("vnp_OrderInfo", ""),
            }
            if message.get("vnp_SecureHash") != pipe_hash(secret, message, order_in):
                answer.update(vnp_ResponseCode="97", vnp_Message="Invalid Checksum")
            elif message.get("vnp_TmnCode") != tmn_code:
                answer.update(vnp_ResponseCode="02", vnp_Message="Invalid TmnCode")
            elif command == "querydr" and ref in decided:
                result = decided[ref]
                refund = result.get("refund")
                if message.get("vnp_TransactionDate") != result["create_date"]:
                    answer.update(vnp_ResponseCode="91", vnp_Message="Transaction not found")
                else:
                    # After a refund the transaction reports it: its type (02 full, 03
                    # partial) and its state (05/06 in progress, 09 refused, 00 done).
                    answer.update(
                        vnp_ResponseCode="00",
                        vnp_Message="QueryDR Success",
                        vnp_Amount=result["vnp_Amount"],
                        vnp_BankCode="NCB",
                        vnp_PayDate=result["vnp_PayDate"],
                        vnp_TransactionNo=result["vnp_TransactionNo"],
                        vnp_TransactionType=refund["type"] if refund else "01",
                        vnp_TransactionStatus=(
                            refund["status"] if refund else result["vnp_TransactionStatus"]
                        ),
                    )
            elif (
                command == "refund" and ref in decided and decided[ref]["vnp_ResponseCode"] == "00"
            ):
                # a refund of a payment made through the page: accepted, in progress (05)
                decided[ref]["refund"] = {
                    "type": message.get("vnp_TransactionType", ""),
                    "status": "05",
                }
                answer.update(
                    vnp_ResponseCode="00",
                    vnp_Message="Refund success",
                    vnp_Amount=message.get("vnp_Amount", ""),
                    vnp_BankCode="NCB",
                    vnp_PayDate=decided[ref]["vnp_PayDate"],
                    vnp_TransactionNo=decided[ref]["vnp_TransactionNo"],
                    vnp_TransactionType=message.get("vnp_TransactionType", ""),
                    vnp_TransactionStatus="05",
                )
            elif ref.split("-")[0] in {"PAID", "DONE", "PENDING", "BADSIG", "OTHER", "SLOW"}:
                pending = ref.startswith("PENDING-")
                status = "01" if pending else "00"
                if command == "refund":
                    status = "00" if ref.startswith("DONE-") else "05"
                answer.update(
                    vnp_ResponseCode="00",
                    vnp_Message="QueryDR Success" if command == "querydr" else "Refund success",
                    vnp_Amount=message.get("vnp_Amount", PAID_AMOUNT),
                    vnp_BankCode="NCB",
                    vnp_PayDate="" if pending else PAY_DATE,
                    vnp_TransactionNo="14226112",
                    vnp_TransactionType="01" if command == "querydr" else "02",
                    vnp_TransactionStatus=status,
                )
            elif command == "refund":
                answer.update(vnp_ResponseCode="95", vnp_Message="Transaction not success")
            else:
                answer.update(vnp_ResponseCode="91", vnp_Message="Transaction not found")
            if ref.startswith("OTHER-"):
                answer["vnp_TmnCode"] = "ANOTHER1"
            answer["vnp_SecureHash"] = pipe_hash(secret, answer, order_out)
            if ref.startswith("BADSIG-"):
                answer["vnp_TransactionStatus"] = "00"
                answer["vnp_Amount"] = "100"  # changed after signing
            return answer

        def answer(self, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
