"""Verification codes (mã xác thực): printed on the electronic result and in its QR code.

16 characters from an alphabet without look-alikes (no 0/O, 1/I/L): 31^16 ≈ 2^79 codes, so
results cannot be enumerated, and the few tries a minute `queries.find` allows make guessing
hopeless. Printed in groups of four (`ABCD-EFGH-JKMN-PQRS`); typed in any case, with or
without the hyphens and spaces. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 16
_SHAPE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str:
    """The code as stored, or "" when `typed` cannot be one."""
    code = re.sub(r"[\s\-.]", "", typed or "").upper()
    return code if _SHAPE.match(code) else ""


def printed(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
