"""The document-axis client: deliver an edXML package or status message to a partner.

QCVN 102:2016 fixes the message, not the transport; the national axis runs its own gateway.
This adapter speaks plain HTTP POST of the edXML bytes (Content-Type application/xml) to the
partner's endpoint, which is what tinhso's own receiving endpoint accepts, and reads the
status message the receiver answers with [UNCONFIRMED: the national axis's transport].
Timeouts are explicit; network errors and 5xx are retryable, other refusals are permanent.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from tinhso.core.outbox import PermanentError, RetryableError

TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Delivery:
    http_status: int
    body: bytes


def post(url: str, data: bytes, *, timeout: float = TIMEOUT_SECONDS) -> Delivery:
    if not url.startswith(("http://", "https://")):
        raise PermanentError(f"Địa chỉ nhận không phải http(s): {url}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/xml; charset=utf-8", "Accept": "application/xml"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Delivery(response.status, response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read()
        if exc.code >= 500 or exc.code in (408, 429):
            raise RetryableError(f"{url}: HTTP {exc.code}") from None
        # 4xx: the receiver refused the message; its body is the status 02 saying why.
        return Delivery(exc.code, body)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise RetryableError(f"{url}: {exc}") from None
    except ValueError as exc:
        raise PermanentError(f"{url}: {exc}") from None
