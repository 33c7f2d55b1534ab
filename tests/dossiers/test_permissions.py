"""One permission rule per decision (issue 11): the Decree 118/2025 reception rule as a
predicate and as a query filter agree; a dossier out of an official's reach is refused as
"not found", a visible one without the role as "forbidden"."""

from __future__ import annotations

import random

import pytest

from tinhso.core.errors import Kind
from tinhso.dossiers import actions, errors, permissions
from tinhso.dossiers.models import Dossier
from tinhso.people.models import Role
from tinhso.places.models import Agency, Province

from .backoffice import official, ready_draft, state_of_the_world

L = Agency.Level


def _generated_agencies(seed: int) -> list[Agency]:
    """Two provinces, each with a committee, departments, a one-stop centre, communes with a
    desk unit, and random extra agencies of any level under random parents."""
    rng = random.Random(seed)
    made: list[Agency] = []
    for number, pcode in enumerate((91, 92)):
        province = Province.objects.create(
            code=pcode, name=f"Tỉnh {pcode}", division_type="tỉnh", codename=f"t{pcode}"
        )

        def add(level: str, parent: Agency | None, province: Province = province) -> Agency:
            agency = Agency.objects.create(
                code=f"G{seed}.{province.code}.{len(made):03d}",
                name=f"Cơ quan {len(made)}",
                short_name=f"CQ{len(made)}",
                level=level,
                parent=parent,
                province=province,
            )
            made.append(agency)
            return agency

        committee = add(L.PROVINCE, None)
        add(L.DEPARTMENT, committee)
        add(L.SERVICE_CENTRE, committee)
        commune = add(L.COMMUNE, committee)
        add(L.UNIT, commune)
        for _ in range(6 + number):
            ours = [a for a in made if a.province_id == province.pk]
            add(rng.choice(list(L.values)), rng.choice([None, *ours]))
    return made


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reception_predicate_and_filter_agree(version, citizen, seed):
    agencies = _generated_agencies(seed)
    rng = random.Random(seed)
    dossiers = []
    for competent in agencies:
        for reception in [None, *rng.sample(agencies, 2)]:
            dossiers.append(
                Dossier.objects.create(
                    version=version,
                    agency=competent,
                    reception_agency=reception,
                    owner=citizen,
                    applicant_name="Nguyễn Văn A",
                    state=Dossier.State.SUBMITTED,
                    code=f"T-{seed}-{len(dossiers):04d}",
                )
            )
    desk_sets = [[desk] for desk in agencies] + [rng.sample(agencies, 3) for _ in range(10)]
    some_true = 0
    for desks in desk_sets:
        by_filter = set(
            Dossier.objects.filter(pk__in=[d.pk for d in dossiers])
            .filter(permissions.receivable_by(desks))
            .values_list("pk", flat=True)
        )
        by_predicate = {
            d.pk
            for d in dossiers
            if any(
                permissions.desk_receives_for(desk, d.agency, d.reception_agency_id)
                for desk in desks
            )
        }
        assert by_filter == by_predicate, [a.code for a in desks]
        some_true += bool(by_predicate)
    assert some_true == len(desk_sets)  # every desk receives for someone (its own agency)
    # and the rule says what Decree 118/2025 says, on the fixed part of the tree
    centre = next(a for a in agencies if a.level == L.SERVICE_CENTRE)
    elsewhere = next(a for a in agencies if a.province_id != centre.province_id)
    same_province = [a for a in agencies if a.province_id == centre.province_id]
    assert all(permissions.desk_receives_for(centre, a, None) for a in same_province)
    assert not permissions.desk_receives_for(centre, elsewhere, None)
    desk = next(a for a in agencies if a.level == L.UNIT and a.parent.level == L.COMMUNE)
    assert permissions.desk_receives_for(desk, desk.parent, None)


def test_the_queue_of_a_desk_is_the_reception_rule(version, citizen, agencies):
    """`visible_to_official` lists a waiting dossier exactly when the desk may receive it."""
    centre = Agency.objects.create(
        code="000.00.99.H66",
        name="Trung tâm Phục vụ hành chính công tỉnh",
        short_name="TTPVHCC",
        level=L.SERVICE_CENTRE,
        parent=agencies["UBND"],
        province=agencies["UBND"].province,
    )
    officer = official("motcua", "Cán bộ Một Cửa", (Role.RECEIVING_OFFICER, centre))
    dossier = actions.submit(ready_draft(version, citizen), user=citizen)
    assert permissions.desk_receives_for(centre, dossier.agency, dossier.reception_agency_id)
    assert list(permissions.visible_to_official(officer)) == [dossier]
    assert permissions.refusal(officer, dossier, "receive") is None


def test_out_of_reach_is_not_found_and_no_role_is_forbidden(version, citizen, agencies):
    dossier = actions.submit(ready_draft(version, citizen), user=citizen)
    other_province = Province.objects.create(
        code=68, name="Lâm Đồng", division_type="tỉnh", codename="lam_dong"
    )
    far = Agency.objects.create(
        code="000.00.00.H68",
        name="UBND tỉnh Lâm Đồng",
        short_name="UBND",
        level=L.PROVINCE,
        province=other_province,
    )
    stranger = official("xa", "Cán bộ Tỉnh Khác", (Role.RECEIVING_OFFICER, far))
    specialist = official("cv", "Chuyên viên", (Role.SPECIALIST, agencies["STP"]))
    before = state_of_the_world(dossier)

    with pytest.raises(actions.NotAllowed) as refused:
        actions.receive(dossier, officer=stranger)
    assert refused.value.code is errors.DOSSIER_NOT_FOUND and refused.value.status == 404

    with pytest.raises(actions.NotAllowed) as refused:
        actions.receive(dossier, officer=specialist)  # sees it (its agency), holds no desk
    assert refused.value.code is errors.NOT_RECEIVING_OFFICER
    assert refused.value.kind is Kind.FORBIDDEN
    assert refused.value.errors == {
        "__all__": "Bạn không phải cán bộ tiếp nhận của nơi nhận hồ sơ này."
    }
    assert state_of_the_world(dossier) == before


def test_a_wrong_state_is_a_conflict(version, citizen, agencies):
    dossier = actions.submit(ready_draft(version, citizen), user=citizen)
    actions.withdraw(dossier, user=citizen)
    desk = official("tn", "Cán bộ Tiếp Nhận", (Role.RECEIVING_OFFICER, agencies["STP"]))
    dossier.refresh_from_db()
    with pytest.raises(actions.DossierError) as refused:
        actions.receive(dossier, officer=desk)
    assert refused.value.code is errors.WRONG_STATE and refused.value.status == 409
    assert permissions.refusal(desk, dossier, "receive") is not None
    assert "receive" not in permissions.available(desk, dossier)
