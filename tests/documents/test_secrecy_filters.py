"""Secret documents are seen only by those who must (the agency's clerks and leaders, signer,
drafter, reviewers, assignees): everyone else gets 404 on the list, page, files, API and
search. The list page's filters (register, period, agency) keep the ranking order. Signing
keeps the approved unsigned text as a version file."""

from __future__ import annotations

from datetime import date

import pytest

from tinhso.documents import actions, errors, queries
from tinhso.documents.errors import DocumentError
from tinhso.documents.models import Direction, Document, DocumentFile, Secrecy
from tinhso.people.models import Role
from tinhso.places.models import Agency

from .test_lifecycle import _issue
from .test_views import _sign_in

SUBJECT = "Về việc kiểm tra công trình xây dựng"


def _secret_incoming(offices) -> Document:
    _issue(offices)
    incoming = Document.objects.get(direction="incoming", agency=offices["STP"].agency)
    Document.objects.filter(pk=incoming.pk).update(secrecy=Secrecy.CONFIDENTIAL)
    incoming.refresh_from_db()
    return incoming


def _sees(client, user, doc: Document) -> dict[str, bool]:
    """What `user` gets for `doc` on each path: page, file, list, search, API item, API list."""
    _sign_in(client, user)
    f = doc.files.get(kind="main")
    return {
        "page": client.get(f"/van-ban/{doc.pk}/").status_code == 200,
        "file": client.get(f"/van-ban/{doc.pk}/tep/{f.pk}/").status_code == 200,
        "list": doc.subject in client.get("/van-ban/").content.decode(),
        "search": doc.subject in client.get("/van-ban/?q=cong+trinh").content.decode(),
        "api": client.get(f"/api/v1/documents/{doc.pk}").status_code == 200,
        "api_list": doc.pk in [d["id"] for d in client.get("/api/v1/documents?q=xay").json()],
    }


EVERYWHERE = dict.fromkeys(("page", "file", "list", "search", "api", "api_list"), True)
NOWHERE = dict.fromkeys(EVERYWHERE, False)


def test_a_secret_document_is_hidden_from_the_unassigned_specialist(client, offices):
    incoming = _secret_incoming(offices)
    stp = offices["STP"]
    assert _sees(client, stp.specialist, incoming) == NOWHERE
    not_found = client.get(f"/api/v1/documents/{incoming.pk}")
    assert not_found.status_code == 404
    assert client.post(f"/van-ban/{incoming.pk}/vao-so/").status_code == 404
    assert _sees(client, stp.clerk, incoming) == EVERYWHERE
    assert _sees(client, stp.leader, incoming) == EVERYWHERE
    # A document that is not secret stays visible to every role of the agency.
    Document.objects.filter(pk=incoming.pk).update(secrecy="")
    assert _sees(client, stp.specialist, incoming) == EVERYWHERE


@pytest.fixture
def unit(offices) -> Agency:
    """A unit (phòng) inside the Department of Justice."""
    stp = offices["STP"]
    return Agency.objects.create(
        code="000.01.03.H66",
        name="Phòng Hành chính tư pháp",
        short_name="HCTP",
        level=Agency.Level.UNIT,
        parent=stp.agency,
        province=stp.agency.province,
    )


def test_assigned_people_and_units_see_a_secret_document(client, offices, make_official, unit):
    incoming = _secret_incoming(offices)
    stp = offices["STP"]
    member = make_official("chuyenvien_hctp", (Role.SPECIALIST, unit))
    outsider = make_official("chuyenvien_khac", (Role.SPECIALIST, unit.parent))
    actions.register_incoming(incoming, actor=stp.clerk)
    assert _sees(client, member, incoming) == NOWHERE
    actions.assign(incoming, instruction="", days=3, assignee=stp.specialist, actor=stp.leader)
    actions.assign(incoming, instruction="", days=3, unit=unit, actor=stp.leader)
    assert _sees(client, stp.specialist, incoming) == EVERYWHERE
    assert _sees(client, member, incoming) == EVERYWHERE
    assert _sees(client, outsider, incoming) == NOWHERE


def test_a_person_named_in_a_unit_sees_it_and_the_units_others_do_not(
    client, offices, make_official, unit
):
    incoming = _secret_incoming(offices)
    stp = offices["STP"]
    named = make_official("chuyenvien_duocgiao", (Role.SPECIALIST, unit))
    colleague = make_official("chuyenvien_cungphong", (Role.SPECIALIST, unit))
    actions.register_incoming(incoming, actor=stp.clerk)
    actions.assign(incoming, instruction="", days=3, unit=unit, assignee=named, actor=stp.leader)
    assert _sees(client, named, incoming) == EVERYWHERE
    assert _sees(client, colleague, incoming) == NOWHERE


def test_a_secret_draft_is_seen_by_drafter_signer_reviewers_only(offices, make_official):
    sxd = offices["SXD"]
    head = make_official("truongphong_sxd", (Role.HEAD_OF_UNIT, sxd.agency))
    colleague = make_official("chuyenvien2_sxd", (Role.SPECIALIST, sxd.agency))
    draft = actions.create_draft(
        sxd.agency,
        doc_type="CV",
        unit="QLXD",
        subject="Về việc bảo vệ công trình quan trọng",
        secrecy=Secrecy.SECRET,
        signer=sxd.leader,
        actor=sxd.specialist,
    )

    def visible(user) -> bool:
        return queries.visible_documents(user).filter(pk=draft.pk).exists()

    assert [visible(u) for u in (sxd.specialist, sxd.leader, sxd.clerk)] == [True] * 3
    assert [visible(u) for u in (head, colleague, offices["STP"].leader)] == [False] * 3
    actions.submit_draft(draft, reviewers=[head], actor=sxd.specialist)
    assert (visible(head), visible(colleague)) == (True, False)
    with pytest.raises(DocumentError) as refused:
        queries.access_document(colleague, draft.pk)
    assert refused.value.code is errors.NOT_FOUND


# --- the list page's filters --------------------------------------------------------------


@pytest.fixture
def listed(offices):
    """SXD documents: two in the 2026 incoming register, dated; one of STP."""
    sxd = offices["SXD"]
    register = actions.register_for(sxd.agency, 2026, Direction.INCOMING)

    def make(agency, subject: str, content: str = "", **fields) -> Document:
        doc = Document.objects.create(
            agency=agency,
            direction="incoming",
            state="registered",
            doc_type="CV",
            subject=subject,
            content=content,
            **fields,
        )
        actions._index(doc)
        doc.save()
        return doc

    docs = {
        "phrase": make(
            sxd.agency,
            "Kế hoạch kiểm tra công trình xây dựng năm 2026",
            register=register,
            register_number=1,
            document_date=date(2026, 3, 2),
        ),
        "scattered": make(
            sxd.agency,
            "Kiểm tra việc lập kế hoạch vốn",
            "Xây dựng công trình.",
            register=register,
            register_number=2,
            document_date=date(2026, 5, 20),
        ),
        "unregistered": make(
            sxd.agency, "Về công trình nhà văn hóa", document_date=date(2026, 5, 21)
        ),
        "stp": make(
            offices["STP"].agency, "Tư pháp: kiểm tra công trình", document_date=date(2026, 5, 22)
        ),
    }
    return register, docs


def _order(page: str, docs: dict[str, Document]) -> list[str]:
    found = [(page.find(d.subject), key) for key, d in docs.items() if d.subject in page]
    return [key for _pos, key in sorted(found)]


def test_list_filters_by_register_and_period_keeping_the_ranking(client, offices, listed):
    register, docs = listed
    _sign_in(client, offices["SXD"].clerk)
    page = client.get("/van-ban/").content.decode()
    assert 'name="register"' in page and 'name="date_from"' in page
    assert 'name="agency"' not in page  # one agency: nothing to choose
    assert str(register) in page

    # Ranked: the phrase in the subject first, though older.
    page = client.get("/van-ban/", {"q": "kiểm tra công trình"}).content.decode()
    assert _order(page, docs) == ["phrase", "scattered"]  # newest first would swap them
    page = client.get(
        "/van-ban/", {"q": "kiểm tra công trình", "register": register.pk}
    ).content.decode()
    assert _order(page, docs) == ["phrase", "scattered"]
    page = client.get("/van-ban/", {"register": register.pk, "date_from": "2026-05-01"})
    assert _order(page.content.decode(), docs) == ["scattered"]
    page = client.get("/van-ban/", {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    assert _order(page.content.decode(), docs) == ["phrase"]


def test_list_filters_by_agency_for_officials_of_several(client, offices, listed, make_official):
    _register, docs = listed
    both = make_official(
        "vanthu_hai_so", (Role.CLERK, offices["SXD"].agency), (Role.CLERK, offices["STP"].agency)
    )
    _sign_in(client, both)
    page = client.get("/van-ban/").content.decode()
    assert 'name="agency"' in page
    assert set(_order(page, docs)) == set(docs)
    page = client.get("/van-ban/", {"agency": offices["STP"].agency.pk}).content.decode()
    assert _order(page, docs) == ["stp"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-13-45"}, "Ngày không hợp lệ (ngày/tháng/năm)."),
        ({"date_from": "2026-06-01", "date_to": "2026-05-01"}, "phải sau hoặc bằng"),
        ({"state": "nonsense"}, "Lựa chọn không hợp lệ."),
        ({"agency": "1"}, None),  # not offered to a one-agency clerk: ignored
    ],
)
def test_bad_filters_get_a_message_not_an_error(client, offices, listed, params, message):
    _register, docs = listed
    _sign_in(client, offices["SXD"].clerk)
    response = client.get("/van-ban/", params)
    page = response.content.decode()
    if message is None:
        assert response.status_code == 200 and _order(page, docs)
    else:
        assert response.status_code == 422
        assert message in page
        assert _order(page, docs) == []


def test_secret_registers_are_offered_to_clerks_and_leaders_only(client, offices, listed):
    register, _docs = listed
    secret = actions.register_for(offices["SXD"].agency, 2026, Direction.INCOMING, secret=True)
    _sign_in(client, offices["SXD"].specialist)
    page = client.get("/van-ban/").content.decode()
    assert f'value="{register.pk}"' in page and f'value="{secret.pk}"' not in page
    assert client.get("/van-ban/", {"register": secret.pk}).status_code == 422
    _sign_in(client, offices["SXD"].clerk)
    assert f'value="{secret.pk}"' in client.get("/van-ban/").content.decode()


def test_a_register_of_another_agency_is_refused(client, offices, listed):
    other = actions.register_for(offices["STP"].agency, 2026, Direction.INCOMING)
    _sign_in(client, offices["SXD"].clerk)
    response = client.get("/van-ban/", {"register": other.pk})
    assert response.status_code == 422 and "Lựa chọn không hợp lệ." in response.content.decode()


# --- signing keeps the unsigned text ------------------------------------------------------


def test_signing_keeps_the_approved_unsigned_main_file_as_a_version(offices):
    sxd = offices["SXD"]
    draft = actions.create_draft(
        sxd.agency,
        doc_type="CV",
        unit="QLXD",
        subject=SUBJECT,
        signer=sxd.leader,
        recipients=[actions.RecipientSpec(offices["STP"].agency.code, "Sở Tư pháp")],
        actor=sxd.specialist,
    )
    actions.approve_draft(draft, actor=sxd.leader)
    unsigned = actions.main_file(draft)
    assert unsigned is not None
    approved_bytes = bytes(unsigned.data)
    actions.sign_document(draft, signer=sxd.leader)
    files = list(draft.files.order_by("id").values_list("kind", "name"))
    assert files == [("version", unsigned.name), ("main", unsigned.name)]
    assert bytes(draft.files.get(kind="version").data) == approved_bytes
    signed = bytes(actions.main_file(draft).data)
    assert signed != approved_bytes and signed.startswith(approved_bytes[:8])
    assert b"/ByteRange" in signed and b"/ByteRange" not in approved_bytes

    # Only the signed text travels: the recipient gets no draft version.
    actions.issue_document(draft, actor=sxd.clerk)
    incoming = Document.objects.get(direction="incoming", agency=offices["STP"].agency)
    assert DocumentFile.Kind.VERSION not in set(incoming.files.values_list("kind", flat=True))
    assert draft.files.filter(kind="version").count() == 1
