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
    assert len(first.codes) == 9 and first.draft_id is not None
    states = dict(Dossier.objects.exclude(state="draft").values_list("code", "state"))
    assert [states[code] for code in first.codes] == [
        "submitted",
        "supplement_requested",
        "returned",  # its electronic result, sealed, with a /xac-thuc/ code
        "received",
        "received",
        "supplement_requested",
        "approved",  # received in the past, appraised late: finished late
        "received",  # received in the past, still at the specialist past its appointment
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
    # the 9 dossiers, the draft and the data store's counter dossier of paper scans waiting to
    # be digitised (datastore/demo.py); a second load adds none
    assert Dossier.objects.count() == loaded == 11
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


@pytest.mark.django_db
def test_the_demo_has_a_late_dossier_and_one_past_its_appointment(settings):
    """The operations centre's late figures are not empty on the demo: one dossier finished
    after its appointment, its appraisal step ended after the step's due time at a named
    agency, and one is still in progress past its appointment; every step the demo walked
    names its official, and the returned dossier's step is finished."""
    from django.utils import timezone

    from tinhso.dossiers.models import StepRecord

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    codes = demo.load_demo().codes
    now = timezone.now()
    late, overdue = (Dossier.objects.get(code=c) for c in codes[6:8])
    assert late.state == "approved" and late.finished_at > late.appointment_at
    assert late.finished_at.month == now.month
    steps = list(StepRecord.objects.filter(dossier=late).order_by("pk"))
    assert [s.name for s in steps] == ["Thẩm định hồ sơ", "Phê duyệt"]
    assert steps[0].finished_at > steps[0].due_at and steps[0].agency == late.agency
    assert steps[0].assignee.username.startswith("chuyenvien.")
    assert steps[1].assignee.username.startswith("lanhdao.")
    assert overdue.state == "received" and overdue.appointment_at < now
    assert overdue.step_records.get().assignee is not None
    returned = Dossier.objects.get(code=codes[2])
    assert list(returned.step_records.values_list("outcome", flat=True)) == ["finished"]
    assert returned.step_records.get().assignee is not None


@pytest.mark.django_db
def test_the_province_leader_finds_the_demo_late_dossiers_in_the_operations_centre(
    settings, client
):
    """What the tester could not do on the demo: from the province figure to the late
    dossier and its late step. The rollups come from the outbox, as the worker delivers it."""
    import re

    from tests import factories
    from tinhso.core import outbox
    from tinhso.people.models import User

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    codes = demo.load_demo().codes
    while outbox.run_once():
        pass
    factories.sign_in(client, User.objects.get(username="lanhdao"))
    page = client.get("/dieu-hanh/").content.decode()
    late_figure = re.search(r'id="ioc-late"[^>]*><span class="n">(\d+)</span>', page)
    assert late_figure and int(late_figure.group(1)) >= 1
    late = client.get("/dieu-hanh/ho-so/", {"measure": "late"}).content.decode()
    assert codes[6] in late and "Bước làm chậm" in late and "Thẩm định hồ sơ" in late
    overdue = client.get("/dieu-hanh/ho-so/", {"measure": "overdue"}).content.decode()
    assert codes[7] in overdue
