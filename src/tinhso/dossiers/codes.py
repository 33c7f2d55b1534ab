"""Dossier codes (mã hồ sơ) and look-up secrets: pure, no database, no clock.

The code is `{agency identifier}-{yymmdd}-{sequence}` as observed on provincial one-stop
systems (e.g. `H15.50.05.13-261008-0975`), with four sequence digits per agency per day;
the normative text (TT 01/2018/TT-VPCP, reportedly replaced by TT 03/2025/TT-VPCP) was not
read [UNCONFIRMED]. Past 9,999 dossiers in one day the sequence simply grows a fifth digit.

The look-up secret is a second factor printed on the receipt: 10 characters from an alphabet
without look-alikes (no 0/O, 1/I/L), about 50 bits, drawn with `secrets`.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import date

SECRET_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # noqa: S105 - an alphabet, not a secret
SECRET_LENGTH = 10
_CODE = re.compile(r"^(?P<agency>[A-Za-z0-9.]{1,40})-(?P<day>\d{6})-(?P<seq>\d{4,7})$")


def dossier_code(agency_identifier: str, day: date, sequence: int) -> str:
    """`000.00.03.H66-251122-0007`: agency identifier, local date, sequence of that day."""
    if sequence < 1:
        raise ValueError("the sequence starts at 1")
    if not agency_identifier or "-" in agency_identifier:
        raise ValueError(f"unusable agency identifier {agency_identifier!r}")
    return f"{agency_identifier}-{day:%y%m%d}-{sequence:04d}"


def looks_like_code(value: str) -> bool:
    return bool(_CODE.match(value))


def new_secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def normalise_secret(value: str) -> str:
    """What a citizen types: spaces and dashes dropped, case ignored, O read as 0 and so on."""
    cleaned = re.sub(r"[\s-]", "", value or "").upper()
    return cleaned.translate(str.maketrans("OIL", "011"))


def secrets_match(given: str, expected: str) -> bool:
    """Constant-time comparison of the typed secret with the stored one."""
    return hmac.compare_digest(
        normalise_secret(given).encode(), normalise_secret(expected).encode()
    )


_DIGEST_SALT = "tinhso.dossiers.lookup_secret"


def secret_digest(secret: str, key: str | None = None) -> str:
    """The stored form of a look-up secret: HMAC-SHA256 keyed by (a key derived from)
    SECRET_KEY, of the normalised secret. A copy of the database alone cannot test guesses."""
    from django.utils.crypto import salted_hmac

    return salted_hmac(
        _DIGEST_SALT, normalise_secret(secret), secret=key, algorithm="sha256"
    ).hexdigest()


def secret_matches_digest(given: str, digest: str) -> bool:
    """Constant-time check of a typed secret against the stored digest; the digest made with a
    key in SECRET_KEY_FALLBACKS still matches, so rotating SECRET_KEY keeps receipts valid."""
    from django.conf import settings

    ok = False
    for key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        ok |= hmac.compare_digest(secret_digest(given, key).encode(), (digest or "").encode())
    return ok
