"""The edXML receiving endpoint's rate limit (security issue item 9): requests per client
address, and per partner once its signature verified, in a sliding one-minute window.

The same mechanism as the public dossier look-up (`dossiers/queries.py`, `LookupAttempt`):
a row per admitted request, counted over the last minute on an index, the wait until the
window frees computed exactly for `Retry-After`. Rows rather than a cache: the limit holds
across worker processes and hosts without a shared cache server, and each test's database
starts empty. A refused request writes nothing, so a flood costs one indexed read apiece.

Legal source: QCVN 102:2016/BTTTT (the receiving endpoint); Decree 30/2020/NĐ-CP Điều 21.2
(a partner's packages are answered the same day, so a partner over its limit is told to
retry, never dropped).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tinhso.documents.models import ReceiveAttempt

WINDOW = timedelta(minutes=1)
KEEP = timedelta(minutes=10)  # older rows are deleted now and then


class TooManyRequests(Exception):
    """Over the per-minute limit; `retry_after`: whole seconds until the window frees."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def per_minute() -> int:
    """Requests admitted per minute from one client address, and from one partner."""
    return int(settings.DOCUMENTS_EDXML_RECEIVE_PER_MINUTE)


def admit_address(address: str, *, now: datetime | None = None) -> None:
    """Count a request from `address` (before its body is read), or TooManyRequests."""
    _admit(f"address:{address or 'unknown'}", now=now)


def admit_partner(organ_id: str, *, now: datetime | None = None) -> None:
    """Count a message whose signature verified as `organ_id`'s, or TooManyRequests."""
    _admit(f"partner:{organ_id}", now=now)


def _admit(key: str, *, now: datetime | None) -> None:
    now = now or timezone.now()
    limit = max(1, per_minute())
    key = key[:80]
    # The limit-th newest request of the window: while it is in, the window is full.
    full = list(
        ReceiveAttempt.objects.filter(key=key, at__gt=now - WINDOW)
        .order_by("-at")
        .values_list("at", flat=True)[limit - 1 : limit]
    )
    if full:
        seconds = (full[0] + WINDOW - now).total_seconds()
        raise TooManyRequests(max(1, math.ceil(seconds)))
    with transaction.atomic():
        ReceiveAttempt.objects.create(key=key, at=now)
        if now.second == 0:  # now and then, forget old requests
            ReceiveAttempt.objects.filter(at__lt=now - KEEP).delete()
