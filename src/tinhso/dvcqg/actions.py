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


class NotPermitted(Exception):
    """The person does not hold the provincial IT administrator's role (a Vietnamese message)."""


def may_manage_sync(user: Any) -> bool:
    """The provincial IT administrator: the administrator's role in an agency of the
    province level (people.Role.ADMINISTRATOR, places.Agency.Level.PROVINCE)."""
    from tinhso.people.models import Role, RoleAssignment
    from tinhso.places.models import Agency

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return RoleAssignment.objects.filter(
        user=user,
        role=Role.ADMINISTRATOR,
        agency__level=Agency.Level.PROVINCE,
        agency__is_active=True,
    ).exists()


def resend_parked(message_id: int, *, actor: Any) -> OutboxMessage:
    """Gửi lại tin đồng bộ bị dừng: after the cause the portal gave is fixed, the parked
    sync message goes back in the queue (its attempts from zero) and sends the dossier's
    state as it is now. Only the provincial IT administrator; audited
    `dvcqg.parked_resent` on the dossier (with the portal's reason it was parked for)."""
    if not may_manage_sync(actor):
        raise NotPermitted("Chỉ quản trị hệ thống cấp tỉnh được gửi lại tin đồng bộ.")
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update()
            .filter(pk=message_id, topic=sync.TOPIC)
            .first()
        )
        if message is None:
            raise ResendRefused(f"Không có tin đồng bộ #{message_id}.")
        if message.state != OutboxMessage.State.PARKED:
            raise ResendRefused(f"Tin #{message_id} không ở trạng thái bị dừng.")
        dossier = Dossier.objects.filter(pk=message.payload.get("dossier")).first()
        if dossier is None:
            raise ResendRefused(f"Tin #{message_id} không còn hồ sơ.")
        reason = message.last_error
        outbox.retry_parked(message, actor=actor)
        audit.record(
            "dvcqg.parked_resent",
            dossier,
            actor=actor,
            changes={"message": message.pk, "reason": [reason, None]},
        )
    return message
