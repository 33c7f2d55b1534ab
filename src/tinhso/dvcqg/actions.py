"""State changes of the national portal sync that a person asks for.

Legal source: Decision 766/QĐ-TTg indicator 1.4 (every dossier received is synced): an
administrator sends a dossier again once the cause of a failed sync is fixed.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tinhso.core import audit, outbox
from tinhso.core.models import OutboxMessage
from tinhso.dossiers.models import Dossier
from tinhso.dvcqg import queries, sync
from tinhso.dvcqg.models import SyncState


class ResendRefused(Exception):
    """Why a dossier cannot be sent again (a Vietnamese message)."""


def resend(code: str, *, actor: Any) -> OutboxMessage:
    """Gửi lại hồ sơ lên Cổng DVC quốc gia: the portal is told the dossier's current state
    again, as a creation (an update if it answers that it already has it), whatever it was
    sent before. The progress rows already sent are not repeated."""
    if not sync.enabled():
        raise ResendRefused("Chưa bật đồng bộ: TINHSO_DVCQG_URL chưa được cấu hình.")
    dossier = Dossier.objects.filter(code=code).first()
    if dossier is None or dossier.state == Dossier.State.DRAFT:
        raise ResendRefused(f"Không có hồ sơ mã {code}.")
    with transaction.atomic():
        state, _ = SyncState.objects.select_for_update().get_or_create(dossier=dossier)
        before = audit.snapshot(state, ["sent_version", "created_at_portal"])
        state.sent_version = 0
        state.created_at_portal = False
        state.save(update_fields=["sent_version", "created_at_portal"])
        message = outbox.enqueue(
            sync.TOPIC, {"dossier": dossier.pk, "version": queries.latest_version(dossier.pk)}
        )
        audit.record(
            "dvcqg.resend_requested",
            dossier,
            actor=actor,
            changes={
                **audit.diff(before, audit.snapshot(state, ["sent_version", "created_at_portal"])),
                "message": message.pk,
            },
        )
    return message
