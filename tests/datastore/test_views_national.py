"""The citizen's page "Lấy giấy tờ từ Kho dữ liệu quốc gia" against the national store's
local peer in its own process (national_peer.py), and the sandbox's stand-in for the demo."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator

import pytest
from django.test import Client

from tests.datastore.test_national import (
    AGENCY,
    BIRTH,
    HERE,
    HOLDINGS,
    OWNER,
    PASSWORD,
    UNIT,
    USERNAME,
    Peer,
)
from tests.dossiers.support import pdf_bytes
from tests.dossiers.test_office_views import sign_in
from tests.payments.peer_process import peer
from tinhso.core.models import AuditRecord
from tinhso.datastore.models import StoredDocument
from tinhso.dvcqg.client import forget_sessions
from tinhso.people.models import Citizen
from tinhso.sandbox import national_store as stand_in

PAGE = "/kho-du-lieu/kho-quoc-gia/"
OTHER = "066195000777"  # the other_citizen fixture's number
OTHERS = "https://kho.dichvucong.gov.vn/tep/gcn-qsdd-777.pdf"
BROKEN = "https://kho.dichvucong.gov.vn/tep/kh-45.pdf"  # not a PDF inside


@pytest.fixture
def national_peer(tmp_path, settings) -> Iterator[Peer]:
    holdings = json.loads(json.dumps(HOLDINGS))
    holdings["owners"][OTHER] = [
        {
            "MaKetQua": "KQ.G10.001147",
            "TenGiayTo": "Giấy chứng nhận quyền sử dụng đất",
            "SoKyHieu": "CS-777",
            "CoQuanChuQuan": "Sở Tài nguyên và Môi trường",
            "DanhSachTepDinhKem": [{"TenTep": "so-do.pdf", "DuongDan": OTHERS}],
        }
    ]
    holdings["files"][OTHERS] = base64.b64encode(pdf_bytes("So do CS-777")).decode()
    holdings["owners"][OWNER].append(
        {
            "MaKetQua": "KQ.G15.000032",
            "TenGiayTo": "Giấy chứng nhận kết hôn",
            "SoKyHieu": "45/2016",
            "CoQuanChuQuan": AGENCY,
            "DanhSachTepDinhKem": [{"TenTep": "kh.pdf", "DuongDan": BROKEN}],
        }
    )
    holdings["files"][BROKEN] = base64.b64encode(b"MZ\x90\x00 not a document").decode()
    source = tmp_path / "holdings.json"
    source.write_text(json.dumps(holdings, ensure_ascii=False), encoding="utf-8")
    forget_sessions()
    with peer(str(HERE / "national_peer.py"), USERNAME, PASSWORD, UNIT, str(source)) as url:
        settings.DATASTORE_NATIONAL_URL = url
        settings.DVCQG_USERNAME, settings.DVCQG_PASSWORD = USERNAME, PASSWORD
        settings.DVCQG_UNIT_CODE = UNIT
        settings.DATASTORE_NATIONAL_TIMEOUT = 5
        yield Peer(url)
    forget_sessions()


def _state() -> tuple[list, int]:
    return list(StoredDocument.objects.order_by("pk").values()), AuditRecord.objects.count()


def test_pages_need_sign_in(client, db):
    for response in (client.get(PAGE), client.post(PAGE, {"tep": BIRTH})):
        assert response.status_code == 302 and "/dang-nhap" in response["Location"]
    assert not StoredDocument.objects.exists()


def test_an_account_without_a_personal_store_is_refused(client, justice_official):
    sign_in(client, justice_official)
    response = client.get(PAGE)
    assert response.status_code == 403
    assert "không có kho dữ liệu" in response.content.decode()


def test_the_store_page_links_to_the_national_page(client, citizen):
    client.force_login(citizen)
    assert f'href="{PAGE}"' in client.get("/kho-du-lieu/").content.decode()


def test_the_citizens_own_results_are_listed_and_nobody_elses(
    client, citizen, other_citizen, national_peer
):
    client.force_login(citizen)
    response = client.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Giấy khai sinh" in html and "123/1990" in html and AGENCY in html
    assert "CS-777" not in html and OTHERS not in html
    asked = national_peer.calls()[-1]
    assert asked["service"] == "GetKetQuaGiayTo"
    assert asked["data"]["SoDinhDanhChuSoHuu"] == OWNER
    assert asked["data"]["SoDinhDanhNguoiYeuCau"] == OWNER
    assert "MaThuTuc" not in asked["data"]
    # the other citizen's page shows theirs only, whatever the query string says
    client.force_login(other_citizen)
    html = client.get(PAGE + f"?so={OWNER}").content.decode()
    assert "CS-777" in html and "123/1990" not in html


def test_taking_a_document_enters_it_once_audited(client, citizen, national_peer):
    client.force_login(citizen)
    response = client.post(PAGE, {"tep": BIRTH})
    stored = StoredDocument.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/kho-du-lieu/{stored.pk}/"
    owner = Citizen.objects.get(user=citizen)
    assert (stored.citizen, stored.provenance, stored.national_ref, stored.number) == (
        owner,
        StoredDocument.Provenance.NATIONAL_STORE,
        BIRTH,
        "123/1990",
    )
    assert stored.kind.code == "GKS"
    audit = AuditRecord.objects.filter(action="datastore.from_national_store").get()
    assert (audit.actor, audit.object_id) == (citizen, str(stored.pk))
    detail = client.get(response["Location"]).content.decode()
    assert "Lấy từ kho dữ liệu quốc gia" in detail
    listed = client.get(PAGE).content.decode()
    assert "Đã có trong kho" in listed and f'value="{BIRTH}"' not in listed

    before = _state()
    fetched = len(national_peer.calls())
    again = client.post(PAGE, {"tep": BIRTH})
    assert again.status_code == 409
    assert "đã có trong kho dữ liệu của Ông/Bà" in again.content.decode()
    assert _state() == before
    # refused before the file is fetched again: only the list was asked
    assert [c["service"] for c in national_peer.calls()[fetched:]] == ["GetKetQuaGiayTo"]


@pytest.mark.parametrize("tampered", [OTHERS, "https://evil.example/x.pdf", "x" * 501, ""])
def test_a_tampered_choice_is_a_form_error(client, citizen, national_peer, tampered):
    client.force_login(citizen)
    before = _state()
    response = client.post(PAGE, {"tep": tampered})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'role="alert"' in html and "123/1990" in html
    assert _state() == before
    assert "GetGiayToByUrl" not in [c["service"] for c in national_peer.calls()]


def test_the_post_is_csrf_protected(citizen, national_peer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(citizen)
    page = browser.get(PAGE)
    assert browser.post(PAGE, {"tep": BIRTH}).status_code == 403
    assert not StoredDocument.objects.exists()
    token = str(page.context["csrf_token"])
    assert browser.post(PAGE, {"tep": BIRTH, "csrfmiddlewaretoken": token}).status_code == 302


def test_a_file_the_store_refuses_is_a_message(client, citizen, national_peer):
    client.force_login(citizen)
    response = client.post(PAGE, {"tep": BROKEN})
    assert response.status_code == 422
    assert "không đúng định dạng" in response.content.decode()
    assert not StoredDocument.objects.exists()


def test_not_configured_is_said_in_vietnamese(client, citizen, settings):
    settings.DATASTORE_NATIONAL_URL = ""
    settings.DVCQG_URL = ""
    client.force_login(citizen)
    for response in (client.get(PAGE), client.post(PAGE, {"tep": BIRTH})):
        assert response.status_code == 503
        assert "chưa được kết nối với Kho dữ liệu quốc gia" in response.content.decode()
    assert not StoredDocument.objects.exists()


def test_an_unreachable_store_is_said_in_vietnamese(client, citizen, settings):
    settings.DATASTORE_NATIONAL_URL = "http://127.0.0.1:9"  # nothing listens (refused)
    forget_sessions()
    client.force_login(citizen)
    for response in (client.get(PAGE), client.post(PAGE, {"tep": BIRTH})):
        assert response.status_code == 503
        html = response.content.decode()
        assert "đang không trả lời" in html and "127.0.0.1" not in html
    assert not StoredDocument.objects.exists()


@pytest.mark.parametrize("mode", ["slow", "500"])
def test_a_slow_or_failing_store_changes_nothing(client, citizen, national_peer, settings, mode):
    settings.DATASTORE_NATIONAL_TIMEOUT = 1
    client.force_login(citizen)
    national_peer.mode(mode)
    response = client.post(PAGE, {"tep": BIRTH})
    assert response.status_code == 503
    assert "đang không trả lời" in response.content.decode()
    assert not StoredDocument.objects.exists()


def test_a_refusal_of_the_portal_is_said_in_vietnamese(client, citizen, national_peer, settings):
    settings.DVCQG_PASSWORD = "sai-mat-khau"
    forget_sessions()
    client.force_login(citizen)
    response = client.get(PAGE)
    assert response.status_code == 502
    assert "từ chối yêu cầu" in response.content.decode()


# --- the sandbox's stand-in (sandbox/national_store.py) ----------------------------------
def _call(client: Client, path: str, body: dict, **headers: str):
    return client.post(
        "/sandbox/kho-du-lieu-quoc-gia/" + path,
        json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def test_the_stand_in_speaks_the_two_messages_for_the_demo_citizen(client, settings, db):
    settings.DATASTORE_NATIONAL_SANDBOX = True
    settings.DVCQG_USERNAME, settings.DVCQG_PASSWORD, settings.DVCQG_UNIT_CODE = "u", "p", "H66"
    assert _call(client, "auth", {"username": "u", "password": "x"}, dstcode="H66").json() == {
        "error_code": "-1",
        "message": "Sai tài khoản",
    }
    session = _call(client, "auth", {"username": "u", "password": "p"}, dstcode="H66").json()
    ask = {
        "SoDinhDanhChuSoHuu": OWNER,
        "SoDinhDanhNguoiYeuCau": OWNER,
        "HoTenNguoiYeuCau": "Nguyễn Văn An",
        "KenhThucHien": "2",
        "DanhSachDanhMucKetQua": [{"MaKetQua": "KQ.G15.000031"}],
    }
    body = {"session": session["session"], "madonvi": "H66", "service": "GetKetQuaGiayTo"}
    found = _call(client, "service", {**body, "data": ask}).json()["result"]
    [birth] = found["DanhSachGiayToKetQua"]
    assert (birth["TenGiayTo"], birth["SoKyHieu"]) == ("Giấy khai sinh", "123/1990")
    nobody = _call(client, "service", {**body, "data": {**ask, "SoDinhDanhChuSoHuu": OTHER}})
    assert nobody.json()["result"] == {"DanhSachGiayToKetQua": []}
    url = birth["DanhSachTepDinhKem"][0]["DuongDan"]
    fetch = {"CoQuanChuQuan": birth["CoQuanChuQuan"], "DuongDan": url}
    got = _call(client, "service", {**body, "service": "GetGiayToByUrl", "data": fetch}).json()
    assert base64.b64decode(got["result"]["NoiDung"]).startswith(b"%PDF-")
    assert _call(client, "service", {**body, "session": "forged"}).json()["error_code"] == "-2"


def test_the_stand_in_is_silent_beside_a_configured_store(client, settings, db):
    settings.DATASTORE_NATIONAL_SANDBOX = False
    assert _call(client, "auth", {"username": "", "password": ""}).status_code == 404
    assert _call(client, "service", {"session": stand_in.SESSION_SALT}).status_code == 404


def test_a_malformed_choice_is_a_form_error_even_when_the_store_is_down(client, citizen, settings):
    settings.DATASTORE_NATIONAL_URL = "http://127.0.0.1:9"  # nothing listens (refused)
    forget_sessions()
    client.force_login(citizen)
    before = _state()
    response = client.post(PAGE, {"tep": "x" * 501})
    assert response.status_code == 422
    assert "đang không trả lời" in response.content.decode()  # and the store's state said
    assert _state() == before


def test_a_paper_digitised_at_the_counter_is_shown_held_and_refused(client, citizen, national_peer):
    """The store holds the birth certificate 123/1990 as a counter-digitised copy: the
    national list says so and offers no "Lấy vào kho" for it, and a POST of its file (an
    old tab) is refused before the fetch, changing nothing."""
    from tinhso.datastore import actions
    from tinhso.datastore.models import DocumentKind

    owner = Citizen.objects.get(user=citizen)
    actions.digitise(
        owner,
        officer=None,
        kind=DocumentKind.objects.get(code="GKS"),
        file_name="ban-sao.pdf",
        content=pdf_bytes("Ban sao GKS"),
        number="123/1990 ",
    )
    client.force_login(citizen)
    html = client.get(PAGE).content.decode()
    rows = dict(re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td[^>]*>([^<]*)</td>(.*?)</tr>", html, re.S))
    assert "Đã có trong kho" in rows["123/1990"] and "<button" not in rows["123/1990"]
    assert f'value="{BIRTH}"' not in html
    assert "Lấy vào kho" in rows["45/2016"]  # another paper is still offered
    before = _state()
    fetched = len(national_peer.calls())
    again = client.post(PAGE, {"tep": BIRTH})
    assert again.status_code == 409
    assert "đã có trong kho dữ liệu của Ông/Bà" in again.content.decode()
    assert _state() == before
    assert [c["service"] for c in national_peer.calls()[fetched:]] == ["GetKetQuaGiayTo"]
