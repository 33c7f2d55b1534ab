"""One-time codes (mã xác nhận): how they are made, stored and checked. No database, no clock.

A code is six random digits. Six digits are few, so a plain hash could be reversed by trying
all million; the stored value is an HMAC keyed with the site's secret key and the row's own
salt, compared in constant time. Times are passed in, so the rules are tested on exact dates.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

CODE_LENGTH = 6
LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
LIMIT_WINDOW = timedelta(hours=1)
SENDS_PER_ADDRESS = 5  # codes sent to one phone or e-mail in LIMIT_WINDOW
SENDS_PER_CLIENT = 20  # codes asked for from one client address in LIMIT_WINDOW


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def code_hash(code: str, *, key: str, salt: str) -> str:
    message = f"{salt}:{code}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def matches(code: str, stored_hash: str, *, key: str, salt: str) -> bool:
    return hmac.compare_digest(code_hash(code, key=key, salt=salt), stored_hash)


def clean_code(value: str) -> str | None:
    """The digits typed, without spaces; None when it is not six digits."""
    digits = re.sub(r"\s+", "", value or "")
    return digits if re.fullmatch(rf"[0-9]{{{CODE_LENGTH}}}", digits) else None


@dataclass(frozen=True)
class CodeState:
    sent_at: datetime
    expires_at: datetime
    attempts: int
    used: bool


def why_refused(state: CodeState, now: datetime) -> str:
    """'' when a code may still be tried; else 'used', 'expired' or 'exhausted'."""
    if state.used:
        return "used"
    if state.attempts >= MAX_ATTEMPTS:
        return "exhausted"
    if now >= state.expires_at:
        return "expired"
    return ""


def seconds_until_resend(sent_at: datetime, now: datetime) -> int:
    """0 when a new code may be sent; else the seconds to wait (rounded up)."""
    left = (sent_at + RESEND_AFTER - now).total_seconds()
    return max(0, int(-(-left // 1)))
