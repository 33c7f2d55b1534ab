"""Periodic work of the kernel: sealing the audit trail into its signed hash chain."""

from __future__ import annotations

from django.conf import settings

from tinhso.core import audit
from tinhso.core.periodic import periodic


@periodic("core.audit_seal", every_seconds=settings.AUDIT_SEAL_SECONDS)
def seal_audit_trail() -> None:
    while audit.seal().records >= settings.AUDIT_SEAL_BATCH:
        pass  # a backlog: keep sealing full batches until it is caught up
