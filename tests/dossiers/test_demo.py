"""The demo dossiers load, every step of every demo route is staffed, loading again changes
nothing."""

from __future__ import annotations

import pytest

from tinhso.dossiers import demo, permissions
from tinhso.dossiers.models import Dossier, DossierResult, ProcessingPaper, Rating


@pytest.mark.django_db
def test_demo_is_idempotent(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    first = demo.load_demo()
    assert len(first.codes) == 7 and first.draft_id is not None
    states = dict(Dossier.objects.exclude(state="draft").values_list("code", "state"))
    assert [states[code] for code in first.codes] == [
        "submitted",
        "supplement_requested",
        "returned",  # its electronic result, sealed, with a /xac-thuc/ code
        "received",
        "received",
        "supplement_requested",
        "submitted",  # commune-level, at the staffed commune
    ]
    from tinhso.dossiers.queries import queue
    from tinhso.people.models import User

    desk = User.objects.get(username="tiepnhan")
    commune_desk = User.objects.get(username="tiepnhan.xa")
    at_specialist, at_leader = (Dossier.objects.get(code=c) for c in first.codes[3:5])
    specialist = User.objects.get(roles__agency=at_specialist.agency, roles__role="specialist")
    assert specialist.username.startswith("chuyenvien.")
    assert permissions.available(specialist, at_specialist) == [
        "request_supplement",
        "forward",
        "request_opinions",
    ]
    leader = User.objects.get(roles__agency=at_leader.agency, roles__role="leader")
    assert leader.username == "lanhdao." + specialist.username.split(".")[1]
    assert permissions.available(leader, at_leader) == [
        "request_supplement",
        "assign",
        "request_opinions",
        "return_to_step",
        "extend",
        "approve",
        "refuse",
    ]
    assert sorted(at_leader.papers.values_list("kind", flat=True)) == [
        ProcessingPaper.Kind.APPRAISAL,
        ProcessingPaper.Kind.DRAFT_RESULT,
    ]
    assert permissions.available(desk, at_specialist) == []  # the desk does not forward
    assert queue(desk, "cho-tiep-nhan").count() == 2  # the centre receives for every agency
    assert queue(commune_desk, "cho-tiep-nhan").count() == 1
    assert all(d.owner.phone == "0912345678" for d in Dossier.objects.all())
    loaded = Dossier.objects.count()
    second = demo.load_demo()
    assert second.codes == first.codes and second.draft_id is None
    # the 7 dossiers, the draft and the data store's counter dossier of paper scans waiting to
    # be digitised (datastore/demo.py); a second load adds none
    assert Dossier.objects.count() == loaded == 9
    assert DossierResult.objects.count() == 1 and Rating.objects.count() == 1


@pytest.mark.django_db
def test_every_step_of_every_demo_route_is_staffed(settings):
    """Each demo procedure's route can be walked by demo accounts, to its result."""
    from tinhso.catalogue import queries as catalogue
    from tinhso.catalogue.models import Procedure
    from tinhso.dossiers.actions import active_route
    from tinhso.people.demo import demo_commune_agencies
    from tinhso.people.models import RoleAssignment
    from tinhso.places.queries import home_province

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo.load_demo()
    staffed_commune = demo_commune_agencies(home_province().pk)
    assert staffed_commune is not None
    held = set(RoleAssignment.objects.values_list("agency_id", "role"))
    for procedure in Procedure.objects.filter(is_active=True):
        route = active_route(procedure.pk)
        assert route is not None, procedure.code
        competent = catalogue.competent_agencies(procedure)
        if procedure.agency_id is None:
            competent = competent.filter(pk=staffed_commune[0].pk)
        for agency in competent:
            for step in route.steps.all():
                assert (step.agency_id or agency.pk, step.role) in held, (procedure.code, step)
            # the result: a specialist of the competent agency; reception and return: a desk
            assert (agency.pk, "specialist") in held
    assert (staffed_commune[1].pk, "receiving_officer") in held


def test_demo_refuses_production(settings):
    settings.MODE = "production"
    with pytest.raises(demo.DemoRefused):
        demo.load_demo()
