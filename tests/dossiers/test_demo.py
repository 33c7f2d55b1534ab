"""The demo dossiers load, and loading them again changes nothing."""

from __future__ import annotations

import pytest

from tinhso.dossiers import demo
from tinhso.dossiers.models import Dossier, DossierResult, Rating


@pytest.mark.django_db
def test_demo_is_idempotent(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    first = demo.load_demo()
    assert len(first.codes) == 6 and first.draft_id is not None
    states = dict(Dossier.objects.exclude(state="draft").values_list("code", "state"))
    # issue 4 adds three dossiers in back-office states
    assert sorted(states.values()) == [
        "received",
        "received",
        "result_ready",
        "submitted",
        "supplement_requested",
        "supplement_requested",
    ]
    from tinhso.dossiers.queries import queue
    from tinhso.people.models import User

    specialist = User.objects.get(username="chuyenvien.stp")
    leader = User.objects.get(username="lanhdao")
    desk = User.objects.get(username="tiepnhan")
    assert queue(specialist, "don-vi").count() == 1
    assert queue(leader, "don-vi").count() == 1
    assert queue(desk, "cho-tiep-nhan").count() == 1
    assert queue(specialist, "cho-bo-sung").count() == 1
    assert all(d.owner.phone == "0912345678" for d in Dossier.objects.all())
    second = demo.load_demo()
    assert second.codes == first.codes and second.draft_id is None
    assert Dossier.objects.count() == 7
    assert DossierResult.objects.count() == 1 and Rating.objects.count() == 1


def test_demo_refuses_production(settings):
    settings.MODE = "production"
    with pytest.raises(demo.DemoRefused):
        demo.load_demo()
