"""Every (state, action) pair: it works, or it is refused with a reason and changes nothing."""

from __future__ import annotations

import pytest

from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.dossiers import actions, lifecycle
from tinhso.dossiers.models import Dossier

from .backoffice import state_of_the_world

CITIZEN_REFUSALS = {
    "submit": "Hồ sơ này đã được nộp.",
    "withdraw": "Hồ sơ đã được tiếp nhận xử lý, không thể rút trực tuyến.",
    "answer_supplement": "Hồ sơ không có yêu cầu bổ sung đang chờ.",
}
STATES = list(Dossier.State.values)
ACTIONS = list(lifecycle.ACTIONS)
# where the table lets an action stay in place or depend on the dossier
EXPECTED_AFTER = {
    ("supplement_requested", "answer_supplement"): "received",
}


def test_the_table_names_every_state_and_only_known_states():
    for action in lifecycle.ACTIONS.values():
        assert action.from_states <= set(STATES), action.name
        assert action.to_state is None or action.to_state in STATES
    assert lifecycle.allowed("submitted") == [
        "withdraw",
        "receive",
        "request_supplement",
        "reject",
    ]
    assert lifecycle.allowed("returned") == []
    assert lifecycle.refusal("returned", "approve") == (
        "Không thể phê duyệt khi hồ sơ ở trạng thái “đã trả kết quả”."
    )


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_every_state_action_pair(office, state, action):
    dossier = office.in_state(state, action)
    dossier.refresh_from_db()
    assert dossier.state == state
    entry = lifecycle.ACTIONS[action]
    if state in entry.from_states:
        audit_before = AuditRecord.objects.count()
        office.perform(action, dossier)
        dossier.refresh_from_db()
        expected = EXPECTED_AFTER.get((state, action), entry.to_state)
        assert dossier.state == expected
        assert AuditRecord.objects.count() > audit_before
        return
    before = state_of_the_world(dossier)
    with pytest.raises(actions.DossierError) as refused:
        office.perform(action, dossier)
    if action in lifecycle.BACK_OFFICE:
        assert refused.value.errors == {"__all__": lifecycle.refusal(state, action)}
    else:  # the citizen's actions keep their own wording from the submission journey
        assert refused.value.errors["__all__"].startswith(CITIZEN_REFUSALS[action])
    assert state_of_the_world(dossier) == before


@pytest.mark.parametrize("action", lifecycle.BACK_OFFICE)
def test_the_refusal_names_the_state(office, action):
    dossier = office.in_state("withdrawn", action)
    with pytest.raises(actions.DossierError) as refused:
        office.perform(action, dossier)
    assert refused.value.errors == {"__all__": lifecycle.refusal("withdrawn", action)}
    assert "“đã rút hồ sơ”" in refused.value.errors["__all__"]


def test_outsider_can_neither_see_nor_act(office):
    from django.http import Http404

    from tinhso.dossiers.queries import access_dossier_for_official

    dossier = office.received()
    for user in (office.chuyenvien, office.tiepnhan, office.lanhdao):
        assert access_dossier_for_official(user, dossier.code).pk == dossier.pk
    with pytest.raises(Http404):
        access_dossier_for_official(office.outsider, dossier.code)
    with pytest.raises(Http404):
        access_dossier_for_official(office.citizen, dossier.code)
    before = state_of_the_world(dossier)
    attempts = [
        lambda: actions.forward(dossier, officer=office.outsider),
        lambda: actions.assign(dossier, officer=office.outsider, to=office.outsider),
        lambda: actions.extend(
            dossier,
            officer=office.outsider,
            reason="x",
            new_appointment=dossier.appointment_at.replace(year=2099),
        ),
        lambda: actions.request_supplement(
            dossier, reason="x", fields=[], component_ids=[], officer=office.outsider
        ),
        lambda: actions.approve(
            actions.forward(dossier, officer=office.chuyenvien), officer=office.outsider
        ),
    ]
    for attempt in attempts[:-1]:
        with pytest.raises(actions.NotAllowed):
            attempt()
        assert state_of_the_world(dossier) == before
    # the leader step of the competent agency: a leader elsewhere may not approve
    at_leader = actions.forward(dossier, officer=office.chuyenvien)
    before = state_of_the_world(at_leader)
    with pytest.raises(actions.NotAllowed):
        actions.approve(at_leader, officer=office.outsider)
    with pytest.raises(actions.NotAllowed):  # the specialist is not the leader
        actions.approve(at_leader, officer=office.chuyenvien)
    assert state_of_the_world(at_leader) == before


def test_a_submitted_online_dossier_waits_at_the_province_centres(office):
    from tinhso.dossiers.queries import visible_to_official

    dossier = office.submitted()
    assert list(visible_to_official(office.tiepnhan).values_list("code", flat=True)) == [
        dossier.code
    ]
    assert not visible_to_official(office.outsider).exists()
    # the outsider is a receiving officer of another department: not a desk for this one
    before = state_of_the_world(dossier)
    with pytest.raises(actions.NotAllowed):
        actions.receive(dossier, officer=office.outsider)
    assert state_of_the_world(dossier) == before
    assert OutboxMessage.objects.count() == before["outbox"]
