"""Reads of the verification page: an electronic result found by its code, with the failed
look-ups of a client address counted (no personal data is read here: the page shows what
the paper prints).

Failures only are counted, as for the public dossier look-up (dossiers/queries.py): a holder
of a real code is never slowed down, and a correct look-up writes nothing. One row per
unknown code tried, per client address; TINHSO_VERIFY_FAILURES_PER_MINUTE of them in the
last minute and the address waits, exactly until the oldest leaves the window.

Uploads are counted too, every one (`allow_upload`): checking a visitor's PDF verifies its
signature (CPU, and revocation look-ups that may use the network), so one client address may
ask TINHSO_VERIFY_UPLOADS_PER_MINUTE of them a minute. Viewing the page costs no such work.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from tinhso.verify import codes
from tinhso.verify.models import ElectronicResult, FailedLookup, UploadCheck

WINDOW = timedelta(minutes=1)
KEEP = timedelta(hours=1)


class TooManyTries(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def _check(client: str, model: type[FailedLookup | UploadCheck] = FailedLookup) -> None:
    now = timezone.now()
    per_minute = (
        settings.VERIFY_FAILURES_PER_MINUTE
        if model is FailedLookup
        else settings.VERIFY_UPLOADS_PER_MINUTE
    )
    limit = max(1, int(per_minute))
    full = list(
        model.objects.filter(client=client, at__gt=now - WINDOW)
        .order_by("-at")
        .values_list("at", flat=True)[limit - 1 : limit]
    )
    if full:
        raise TooManyTries(max(1, math.ceil((full[0] + WINDOW - now).total_seconds())))


def _fail(client: str) -> None:
    now = timezone.now()
    FailedLookup.objects.create(client=client, at=now)
    if now.second == 0:  # now and then, forget old tries
        FailedLookup.objects.filter(at__lt=now - KEEP).delete()


def find(typed: str, *, client: str) -> ElectronicResult | None:
    """The electronic result of the code `typed`, or None (a failure, counted); TooManyTries
    when `client` failed too often in the last minute (checked first, before any look-up)."""
    client = (client or "unknown")[:64]
    _check(client)
    code = codes.normalise(typed)
    found = ElectronicResult.objects.filter(code=code).first() if code else None
    if found is None:
        _fail(client)
    return found


def allow_upload(client: str) -> None:
    """Count one file check by `client`; TooManyTries, and nothing written, when it already
    had TINHSO_VERIFY_UPLOADS_PER_MINUTE in the last minute."""
    client = (client or "unknown")[:64]
    _check(client, UploadCheck)
    now = timezone.now()
    UploadCheck.objects.create(client=client, at=now)
    if now.second == 0:
        UploadCheck.objects.filter(at__lt=now - KEEP).delete()
