"""Page/API parity: every dossier action, for every role, gives the same decision on the page
(the form the page offers, posted to its real URL) and in the API (`/api/v1/...`).

The decision is allowed, or the refusal's kind: 404 out of reach, 403 no role, 409 wrong
state or turn, 422 input to correct. The table is keyed by the lifecycle's actions
(`lifecycle.ACTIONS`), the permission rules (`permissions.RULES`) and the citizen's other
actions; a new action without a row fails `test_every_action_has_a_row`. Where an action
exists on one side only, its row says so (`api=None`), and `test_api_offers_only_the_table`
checks the API really has no operation for it: the dossiers operations of the OpenAPI
document are exactly the table's. The back-office actions are pages only; their page
decision is compared with the shared decision of `permissions` (what an API route would
enforce), and refused ones change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tinhso.core.errors import Kind
from tinhso.dossiers import actions, codes, lifecycle, permissions
from tinhso.dossiers.models import Dossier
from tinhso.people import clients
from tinhso.people.models import Role, User

from . import support
from .backoffice import Office, official, ready_draft, state_of_the_world
from .test_api import body
from .test_office_views import sign_in

S = Dossier.State
ALLOWED = "allowed"
KINDS = {
    Kind.NOT_FOUND: 404,
    Kind.FORBIDDEN: 403,
    Kind.CONFLICT: 409,
    Kind.INVALID: 422,
}
DECISION = {200: ALLOWED, 201: ALLOWED, 404: 404, 403: 403, 409: 409, 422: 422}

OFFICIALS = ["desk", "other_desk", "specialist", "head", "leader", "clerk", "other_agency"]
PEOPLE = ["owner", "other_citizen", *OFFICIALS]


# --- the table -------------------------------------------------------------------------------
def _tk(office: Office) -> int:
    return office.version.components.get(code="TK").pk


def _appointment(office: Office, dossier: Dossier) -> str:
    base = actions.current_appointment(dossier) or timezone.now()
    return (
        (base + timedelta(days=3))
        .astimezone(timezone.get_fixed_timezone(420))
        .strftime("%Y-%m-%dT%H:%M")
    )


Form = Callable[[Office, Dossier], dict[str, Any]]


@dataclass(frozen=True)
class Row:
    """How the page and the API offer one action (`api=None`: the API has no such route;
    no action is API-only, the client applications' side is a role, not an action)."""

    page: Form  # the form fields the page posts, valid (every action has a page)
    bad: Form | None = None  # the same form with an input to correct (422), if it takes input
    api: str | None = None  # the API operation ("METHOD /path"), None: pages only


BACK_OFFICE: dict[str, Row] = {
    "receive": Row(page=lambda o, d: {}),
    "request_supplement": Row(
        page=lambda o, d: {
            "reason": "Bản chụp bị mờ",
            "components": [str(_tk(o))],
            f"reason-{_tk(o)}": "Bị mờ",
        },
        bad=lambda o, d: {"reason": ""},
    ),
    "reject": Row(
        page=lambda o, d: {"reason": "Không thuộc thẩm quyền"}, bad=lambda o, d: {"reason": ""}
    ),
    "assign": Row(
        page=lambda o, d: {"to": str(o.chuyenvien.pk)}, bad=lambda o, d: {"to": "khong-so"}
    ),
    "forward": Row(page=lambda o, d: {"note": "Đủ điều kiện"}),
    "request_opinions": Row(
        page=lambda o, d: {
            "agencies": [str(o.agencies["SXD"].pk)],
            "question": "Đề nghị cho ý kiến về hiện trạng công trình",
        },
        bad=lambda o, d: {"agencies": [str(o.agencies["SXD"].pk)], "question": ""},
    ),
    "give_opinion": Row(
        page=lambda o, d: {"answer": "Thống nhất với đề xuất"}, bad=lambda o, d: {"answer": ""}
    ),
    "return_to_step": Row(
        page=lambda o, d: {"position": "1", "reason": "Xem lại ngày sinh"},
        bad=lambda o, d: {"position": "1", "reason": ""},
    ),
    "extend": Row(
        page=lambda o, d: {"reason": "Chờ xác minh", "new_appointment": _appointment(o, d)},
        bad=lambda o, d: {"reason": "Chờ xác minh", "new_appointment": ""},
    ),
    "approve": Row(page=lambda o, d: {"xac-nhan": "1"}),
    "refuse": Row(
        page=lambda o, d: {"xac-nhan": "1", "reason": "Không đủ điều kiện"},
        bad=lambda o, d: {"xac-nhan": "1", "reason": ""},
    ),
    "attach_result": Row(
        page=lambda o, d: {
            "name": "Phiếu lý lịch tư pháp",
            "file": SimpleUploadedFile("kq.pdf", support.pdf_bytes("kq"), "application/pdf"),
        },
        bad=lambda o, d: {"name": "Phiếu lý lịch tư pháp"},
    ),
    "mark_ready": Row(page=lambda o, d: {}),
    "return_result": Row(page=lambda o, d: {"how": "desk"}, bad=lambda o, d: {"how": ""}),
}

# The citizen's actions: the lifecycle's, and the others on "my dossiers" (no state change).
CITIZEN: dict[str, Row] = {
    "submit": Row(page=lambda o, d: {}, api="POST /api/v1/dossiers"),
    "withdraw": Row(page=lambda o, d: {"reason": "Không còn nhu cầu"}),
    "answer_supplement": Row(page=lambda o, d: {"note": "Đã bổ sung"}),
    "view": Row(page=lambda o, d: {}, api="GET /api/v1/dossiers/{code}"),
    "reissue_lookup_secret": Row(
        page=lambda o, d: {}, api="POST /api/v1/dossiers/{code}/lookup-secret"
    ),
    "rate": Row(
        page=lambda o, d: {"level": "satisfied"},
        bad=lambda o, d: {"level": ""},
    ),
    "lookup": Row(page=lambda o, d: {}, api="POST /api/v1/dossiers/lookup"),
}
TABLE = {**BACK_OFFICE, **CITIZEN}


def test_every_action_has_a_row():
    assert set(lifecycle.ACTIONS) <= set(TABLE)
    assert set(permissions.RULES) <= set(BACK_OFFICE)
    assert set(lifecycle.BACK_OFFICE) == set(BACK_OFFICE)


def test_api_offers_only_the_table():
    """The API's dossiers operations are exactly those the table names: an action marked
    pages-only has no API route, and an API route without a row fails here."""
    from tinhso.api.main import api

    schema = api.get_openapi_schema()
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "dossiers" in operation.get("tags", [])
    }
    assert operations == {row.api for row in TABLE.values() if row.api}
    # and no route of the API names a back-office action (/dossiers/{code}/receive...)
    paths = " ".join(p for p in schema["paths"] if p.startswith("/api/v1/dossiers"))
    for action in BACK_OFFICE:
        assert action not in paths and action.replace("_", "-") not in paths


# --- the world ----------------------------------------------------------------------------------
@pytest.fixture
def world(office, other_citizen):
    other_desk = official(
        "tiepnhan_sxd", "Ngô Văn Dũng", (Role.RECEIVING_OFFICER, office.agencies["SXD"])
    )
    people = {
        "owner": office.citizen,
        "other_citizen": other_citizen,
        "desk": office.tiepnhan,
        "other_desk": other_desk,
        "specialist": office.chuyenvien,
        "head": office.truongphong,
        "leader": office.lanhdao,
        "clerk": office.vanthu,
        "other_agency": office.outsider,
    }
    browsers = {}
    for name, user in people.items():
        browser = Client()
        if user.kind == User.Kind.OFFICIAL:
            sign_in(browser, user)
        else:
            browser.force_login(user)
        browsers[name] = browser
    return office, people, browsers


def expected_back_office(user: User, dossier: Dossier, action: str) -> Any:
    """The shared decision: out of reach 404, else `permissions.refusal`'s kind."""
    if user.kind != User.Kind.OFFICIAL or not permissions.sees(user, dossier):
        return 404
    refused = permissions.refusal(user, dossier, action)
    return ALLOWED if refused is None else KINDS[refused.kind]


def page_decision(response: Any) -> Any:
    assert response.status_code in DECISION, (response.status_code, response.content[:300])
    return DECISION[response.status_code]


def post_action(browser: Client, dossier: Dossier, action: str, data: dict[str, Any]) -> Any:
    url = reverse("dossiers:office-act", args=[dossier.code, action])
    return browser.post(url, data, HTTP_X_REQUESTED_WITH="fetch")


def action_decision(user: User, dossier: Dossier, action: str, data: dict[str, Any]) -> Any:
    """What the action itself decides, called as the page would call it but without the
    page's own check first: a refusal the page makes and the action would not is a rule
    that lives in the page only (rolled back either way)."""
    from django.db import transaction
    from django.test import RequestFactory

    from tinhso.dossiers import views_office

    request = RequestFactory().post("/", data)
    request.user = user
    try:
        with transaction.atomic():
            views_office._perform(request, Dossier.objects.get(pk=dossier.pk), action)
            transaction.set_rollback(True)
    except actions.DossierError as exc:
        return DECISION[exc.status]
    return ALLOWED


def _wrong_state(action: str) -> str:
    return next(
        s
        for s in (S.SUBMITTED, S.RECEIVED, S.APPROVED, S.RETURNED)
        if s not in lifecycle.ACTIONS[action].from_states
    )


# --- the back office: pages only, the decision of `permissions` ----------------------------------
@pytest.mark.parametrize("action", list(BACK_OFFICE))
def test_back_office_action_page_gives_the_shared_decision(world, action):
    office, people, browsers = world
    row = BACK_OFFICE[action]
    assert row.api is None
    states = [*sorted(lifecycle.ACTIONS[action].from_states), _wrong_state(action)]
    seen_allowed = False
    for state in states:
        dossier = office.in_state(state, action)
        for role in PEOPLE:
            user = people[role]
            dossier.refresh_from_db()
            expected = expected_back_office(user, dossier, action)
            if expected == ALLOWED and row.bad is not None:
                before = state_of_the_world(dossier)
                refused = post_action(browsers[role], dossier, action, row.bad(office, dossier))
                assert page_decision(refused) == 422, (action, state, role)
                assert state_of_the_world(dossier) == before, (action, role)
            if expected == ALLOWED:
                # the page offers this very form to this official
                page = browsers[role].get(reverse("dossiers:office-detail", args=[dossier.code]))
                url = reverse("dossiers:office-act", args=[dossier.code, action])
                assert f'action="{url}"' in page.content.decode(), (action, state, role)
            before = state_of_the_world(dossier)
            response = post_action(browsers[role], dossier, action, row.page(office, dossier))
            assert page_decision(response) == expected, (action, state, role)
            if expected == ALLOWED:
                seen_allowed = True
                assert state_of_the_world(dossier) != before
                dossier = office.in_state(state, action)  # a fresh one for the next role
            else:
                assert state_of_the_world(dossier) == before, (action, state, role)
                if expected != 404:  # (out of reach is the page's and the API's look-up)
                    # the action, asked directly, refuses in the same way: no rule lives in
                    # the page alone
                    data = row.page(office, dossier)
                    assert action_decision(user, dossier, action, data) == expected, (
                        action,
                        state,
                        role,
                    )
    assert seen_allowed, f"nobody may {action}: the table's states or roles are wrong"


# --- the citizen: page and API side by side -------------------------------------------------------
def api_call(http: Client, operation: str, code: str, data: Any = None, **headers: Any) -> Any:
    method, path = operation.split(" ", 1)
    url = path.replace("{code}", code)
    if method == "GET":
        return http.get(url, headers=headers)
    return http.post(url, data, content_type="application/json", headers=headers)


@pytest.fixture
def channel(db):
    return clients.issue("Cổng Dịch vụ công quốc gia", scopes=["dossiers.submit"], actor=None)


@pytest.mark.parametrize("action", ["view", "reissue_lookup_secret"])
def test_citizen_action_same_decision_on_page_and_api(world, channel, action):
    office, _people, browsers = world
    row = CITIZEN[action]
    assert row.api
    dossier = office.submitted()
    page_url = {
        "view": reverse("dossiers:detail", args=[dossier.code]),
        "reissue_lookup_secret": reverse("dossiers:reissue-secret", args=[dossier.code]),
    }[action]
    for role in PEOPLE:
        browser = browsers[role]
        page = browser.get(page_url) if action == "view" else browser.post(page_url)
        api = api_call(browser, row.api, dossier.code, {})
        on_page = ALLOWED if page.status_code in (200, 302) else page_decision(page)
        if action != "view" and page.status_code == 302:
            assert page["Location"] == reverse("dossiers:detail", args=[dossier.code])
        assert on_page == page_decision(api), (action, role, page.status_code, api.status_code)
        assert on_page == (ALLOWED if role == "owner" else 404), (action, role)
    # a client application: API only (pages have no key sign-in); the citizen's dossier is
    # out of its reach, the one it submitted is its own
    _client, key = channel
    auth = {"Authorization": f"Bearer {key}"}
    assert page_decision(api_call(Client(), row.api, dossier.code, {}, **auth)) == 404
    mine = Client().post(
        "/api/v1/dossiers",
        body(
            applicant={
                "personal_id": "066088004321",
                "full_name": "Lê Văn Cường",
                "phone": "0905123456",
            }
        ),
        content_type="application/json",
        headers={**auth, "Idempotency-Key": "kenh-khac-000001"},
    )
    assert mine.status_code == 201, mine.content[:400]
    own = mine.json()["code"]
    assert page_decision(api_call(Client(), row.api, own, {}, **auth)) == ALLOWED
    keyed_page = Client().get(reverse("dossiers:detail", args=[own]), headers=auth)
    assert keyed_page.status_code == 302  # to sign-in: the key opens no page
    assert keyed_page["Location"].startswith(reverse("people:sign-in"))


def test_submit_same_decision_on_page_and_api(world, channel):
    """Each person submits for themselves: a complete dossier is accepted, a form missing a
    required field is 422, on the page (the review step's form) and in the API alike."""
    office, people, browsers = world
    row = CITIZEN["submit"]
    assert row.api
    for n, role in enumerate(PEOPLE):
        user, browser = people[role], browsers[role]
        draft = ready_draft(office.version, user)
        page = browser.post(reverse("dossiers:draft-review", args=[draft.pk]))
        on_page = ALLOWED if page.status_code == 302 else page_decision(page)
        api = browser.post(
            row.api.split(" ", 1)[1],
            body(form={"ngay_sinh": "1990-05-12", "so_ban_sao": "2"}),  # the name: the account's
            content_type="application/json",
            headers={"Idempotency-Key": f"khoa-doi-chieu-{n:04d}"},
        )
        assert on_page == page_decision(api), (role, page.status_code, api.content[:300])
        incomplete = actions.start_draft(office.version, user=user)
        page = browser.post(reverse("dossiers:draft-review", args=[incomplete.pk]))
        api = browser.post(
            "/api/v1/dossiers",
            body(form={"ho_ten": "Nguyễn Văn An"}),
            content_type="application/json",
            headers={"Idempotency-Key": f"khoa-thieu-truong-{n:04d}"},
        )
        assert page_decision(page) == page_decision(api) == 422, role
    # another citizen's draft is out of reach on the page; the API has no way to name it
    draft = ready_draft(office.version, office.citizen)
    page = browsers["other_citizen"].post(reverse("dossiers:draft-review", args=[draft.pk]))
    assert page_decision(page) == 404
    assert Dossier.objects.get(pk=draft.pk).state == S.DRAFT


def test_lookup_same_decision_on_page_and_api(world):
    office, _people, _browsers = world
    dossier = office.submitted()
    secret = dossier.issued_secret
    assert codes.looks_like_code(dossier.code) and secret
    anonymous = Client()
    cases = [
        ({"ma": dossier.code, "ma-tra-cuu": secret}, {"code": dossier.code, "secret": secret}),
        (
            {"ma": dossier.code, "ma-tra-cuu": "SAI-MA-99"},
            {"code": dossier.code, "secret": "SAI-MA-99"},
        ),
        ({"ma": dossier.code, "ma-tra-cuu": ""}, {"code": dossier.code}),
    ]
    for form, json in cases:
        page = anonymous.post(reverse("dossiers:lookup"), form)
        api = anonymous.post("/api/v1/dossiers/lookup", json, content_type="application/json")
        assert page_decision(page) == page_decision(api), (form, page.status_code, api.status_code)
    assert [page_decision(anonymous.post(reverse("dossiers:lookup"), f)) for f, _ in cases] == [
        ALLOWED,
        404,
        422,
    ]


# --- the citizen: pages only ------------------------------------------------------------------
CITIZEN_PAGE: dict[str, tuple[str, str, str]] = {
    # action: (url name, state it is allowed in, a state it is refused in)
    "withdraw": ("dossiers:withdraw", S.SUBMITTED, S.RECEIVED),
    "answer_supplement": ("dossiers:supplement-answer", S.SUPPLEMENT_REQUESTED, S.RECEIVED),
    # a rated dossier: rating again is the wrong state (the action rates any submitted
    # dossier once; the page offers the form once there is an outcome)
    "rate": ("dossiers:rate", S.RETURNED, S.RETURNED),
}


def _in_wrong_state(office: Office, action: str, state: str) -> Dossier:
    dossier = office.in_state(state, action)
    if action == "rate":
        actions.rate(dossier, "satisfied", user=office.citizen)
    return dossier


@pytest.mark.parametrize("action", list(CITIZEN_PAGE))
def test_citizen_page_only_action(world, action):
    """Pages only (the API has no route, `test_api_offers_only_the_table`): the owner may,
    everyone else gets 404, a wrong state is 409 and an input to correct 422, as the
    action's own refusal says."""
    office, _people, browsers = world
    row = CITIZEN[action]
    assert row.api is None
    name, good, wrong = CITIZEN_PAGE[action]
    dossier = _in_wrong_state(office, action, wrong)
    url = reverse(name, args=[dossier.code])
    before = state_of_the_world(dossier)
    assert page_decision(browsers["owner"].post(url, row.page(office, dossier))) == 409
    assert state_of_the_world(dossier) == before
    dossier = office.in_state(good, action)
    url = reverse(name, args=[dossier.code])
    for role in PEOPLE[1:]:
        before = state_of_the_world(dossier)
        response = browsers[role].post(url, row.page(office, dossier))
        assert page_decision(response) == 404, (action, role)
        assert state_of_the_world(dossier) == before
    if row.bad is not None:
        before = state_of_the_world(dossier)
        assert page_decision(browsers["owner"].post(url, row.bad(office, dossier))) == 422
        assert state_of_the_world(dossier) == before
    before = state_of_the_world(dossier)
    done = browsers["owner"].post(url, row.page(office, dossier))
    assert done.status_code == 302 and done["Location"] == reverse(
        "dossiers:detail", args=[dossier.code]
    )
    assert state_of_the_world(dossier) != before


def test_a_result_awaiting_its_fee_gives_the_same_refusal_on_the_page_and_in_the_action(world):
    """Issue 13: while a fee due before the result is unpaid, `permissions.returning_result`
    refuses the desk (409, `result_waits_for_payment`); the page offers no return form to
    anyone, a posted one is refused as the action itself refuses, and nothing changes."""
    office, people, browsers = world
    office.version.fees = [
        {
            "kind": "phi",
            "code": "BS",
            "name": "Phí cấp bản sao",
            "amount": 8000,
            "due": "before_result",
        }
    ]
    office.version.save()
    dossier = actions.mark_ready(office.approved(with_result=True), officer=office.vanthu)
    assert dossier.state == S.RESULT_READY
    url = reverse("dossiers:office-act", args=[dossier.code, "return_result"])
    decisions = {}
    for role in PEOPLE:
        user = people[role]
        expected = expected_back_office(user, dossier, "return_result")
        decisions[role] = expected
        page = browsers[role].get(reverse("dossiers:office-detail", args=[dossier.code]))
        assert f'action="{url}"' not in page.content.decode(), role
        before = state_of_the_world(dossier)
        response = post_action(browsers[role], dossier, "return_result", {"how": "desk"})
        assert page_decision(response) == expected, role
        assert state_of_the_world(dossier) == before, role
        if expected != 404:
            assert action_decision(user, dossier, "return_result", {"how": "desk"}) == expected
    assert decisions["desk"] == 409
    refused = permissions.refusal(people["desk"], dossier, "return_result")
    assert refused is not None and refused.code.id == "dossiers.result_waits_for_payment"
