"""Dossiers submitted on the national portal arrive through /api/v1/dvcqg/dossiers
(docs/dvcqg.md, "Inbound dossiers"): the portal's key with the dvcqg.inbound scope,
idempotent on MaHoSo, per-field errors that create nothing, the portal's error for a
procedure the province does not offer, the one-stop queue, and the status flowing back."""

from __future__ import annotations

import base64
import threading

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.dossiers import support as dossier_support
from tests.dossiers.test_office_views import sign_in
from tinhso.core.models import AuditRecord, OutboxMessage
from tinhso.dossiers import actions
from tinhso.dossiers.actions import submission
from tinhso.dossiers.models import Dossier, DossierFile, IdempotencyKey
from tinhso.dvcqg.models import InboundDossier
from tinhso.people import clients
from tinhso.people.models import Citizen, User

from .support import deliver_sync

URL = "/api/v1/dvcqg/dossiers"
MA_HO_SO = "000.00.00.G22-261205-0042"


def record(**overrides):
    data = {
        "MaHoSo": MA_HO_SO,
        "MaTTHC": "2.000488",
        "TenTTHC": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        "KenhThucHien": 2,
        "ChuHoSo": "Lê Văn Cường",
        "SoGiayToChuHoSo": "066088004321",
        "SoDienThoai": "0905123456",
        "Email": "cuong.le@example.com",
        "NgayNopHoSo": "20261205083000",
        "TrangThaiHoSo": 1,
        "HinhThuc": 0,
        "DuLieuBieuMau": {"ho_ten": "Lê Văn Cường", "ngay_sinh": "1988-03-02", "so_ban_sao": "1"},
        "TaiLieuNop": [
            {
                "MaThanhPhanHoSo": "TK",
                "TenTepDinhKem": "to-khai.pdf",
                "NoiDung": base64.b64encode(dossier_support.pdf_bytes()).decode(),
            }
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def national(db):
    return clients.issue("Cổng Dịch vụ công quốc gia", scopes=["dvcqg.inbound"], actor=None)


def post(key, data, http=None):
    return (http or Client()).post(
        URL, data, content_type="application/json", headers={"Authorization": f"Bearer {key}"}
    )


def nothing_changed():
    return (
        Dossier.objects.count(),
        DossierFile.objects.count(),
        IdempotencyKey.objects.count(),
        InboundDossier.objects.count(),
        Citizen.objects.count(),
        User.objects.count(),
        OutboxMessage.objects.count(),
    )


def test_a_dossier_from_the_portal_enters_the_one_stop_queue_with_its_origin(
    office, national, client
):
    portal_client, key = national
    response = post(key, record())
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["error_code"] == "0"
    dossier = Dossier.objects.get(code=answer["result"]["MaHoSoTinh"])
    assert answer["result"]["MaHoSo"] == MA_HO_SO and answer["result"]["TrangThaiHoSo"] == 1
    assert dossier.state == Dossier.State.SUBMITTED
    assert dossier.channel == Dossier.Channel.API
    assert dossier.submitted_by_client == portal_client
    assert dossier.applicant_personal_id == "066088004321"
    assert dossier.delivery == Dossier.Delivery.ONLINE  # HinhThuc 0, the procedure is online
    assert InboundDossier.objects.get(dossier=dossier).national_code == MA_HO_SO
    submitted = AuditRecord.objects.get(action="dossier.submitted", object_id=str(dossier.pk))
    assert submitted.actor_label == "api-client:Cổng Dịch vụ công quốc gia"
    # the reception officer finds it in the queue and sees where it came from
    sign_in(client, office.tiepnhan)
    queue = client.get(reverse("dossiers:office-queue", args=["cho-tiep-nhan"])).content.decode()
    assert dossier.code in queue
    page = client.get(reverse("dossiers:office-detail", args=[dossier.code])).content.decode()
    assert "nộp trên Cổng Dịch vụ công quốc gia" in page and MA_HO_SO in page
    assert "Kết nối (API)" in page
    # and receives it like an online dossier
    received = actions.receive(dossier, officer=office.tiepnhan)
    assert received.state == Dossier.State.RECEIVED


def test_the_same_dossier_posted_twice_creates_one(office, national):
    _, key = national
    first = post(key, record())
    again = post(key, record())
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["result"] == again.json()["result"]
    assert Dossier.objects.count() == 1 and InboundDossier.objects.count() == 1


def test_the_same_code_with_other_content_is_refused_as_existing(office, national):
    _, key = national
    assert post(key, record()).status_code == 201
    other = post(key, record(ChuHoSo="Lê Văn Khác"))
    assert other.status_code == 409
    assert other.json()["error_code"] == "3"
    assert "đã tồn tại" in other.json()["message"]
    assert Dossier.objects.count() == 1


def test_the_same_code_under_a_second_key_of_the_portal_finds_the_first(office, national):
    _, key = national
    _, second = clients.issue("Cổng DVCQG (khóa dự phòng)", scopes=["dvcqg.inbound"], actor=None)
    assert post(key, record()).status_code == 201
    again = post(second, record())
    assert again.status_code == 200
    assert Dossier.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"SoGiayToChuHoSo": "12ab"}, {"SoGiayToChuHoSo"}),
        ({"MaHoSo": "khong-dung-dang"}, {"MaHoSo"}),
        ({"NgayNopHoSo": "05/12/2026"}, {"NgayNopHoSo"}),
        ({"KenhThucHien": 1}, {"KenhThucHien"}),
        ({"ChuHoSo": "", "Email": "khong-phai-email"}, {"ChuHoSo", "Email"}),
        ({"DuLieuBieuMau": {"ngay_sinh": "1988-03-02"}}, {"ho_ten"}),
        ({"TaiLieuNop": []}, {"TK"}),
        ({"HinhThuc": 1, "DiaChiNhanKetQua": ""}, {"DiaChiNhanKetQua"}),
    ],
)
def test_a_malformed_dossier_gets_per_field_errors_and_creates_nothing(
    office, national, overrides, fields
):
    _, key = national
    before = nothing_changed()
    response = post(key, record(**overrides))
    assert response.status_code == 422, response.json()
    answer = response.json()
    assert answer["error_code"] == "1"
    assert {entry["field"] for entry in answer["detail"]} == fields
    assert all(entry["loc"][0] == "body" for entry in answer["detail"])
    assert nothing_changed() == before


def test_a_missing_field_is_named(office, national):
    _, key = national
    data = record()
    del data["SoGiayToChuHoSo"]
    response = post(key, data)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "SoGiayToChuHoSo"]]
    assert Dossier.objects.count() == 0


def test_a_procedure_the_province_does_not_offer_is_refused_with_the_portals_error(
    office, national
):
    _, key = national
    before = nothing_changed()
    response = post(key, record(MaTTHC="1.009999"))
    assert response.status_code == 422
    answer = response.json()
    assert answer["error_code"] == "2"
    assert answer["code"] == "dvcqg.procedure_not_offered"
    assert "1.009999" in answer["message"]
    assert [e["loc"] for e in answer["detail"]] == [["body", "MaTTHC"]]
    assert nothing_changed() == before


def test_only_the_portals_scope_may_post(office, national):
    _, other = clients.issue("Ứng dụng Đắk Lắk số", scopes=["dossiers.submit"], actor=None)
    assert post(other, record()).status_code == 403
    assert post("tsk_" + "x" * 43, record()).status_code == 401
    assert Client().post(URL, record(), content_type="application/json").status_code == 401
    assert Dossier.objects.count() == 0


def test_its_status_flows_back_under_the_portals_code(synced, office, national):
    synced_portal = synced
    # the portal holds the dossier it took in
    requests_seed(synced_portal.url, record())
    _, key = national
    answer = post(key, record()).json()
    dossier = Dossier.objects.get(code=answer["result"]["MaHoSoTinh"])
    actions.receive(dossier, officer=office.tiepnhan)
    assert deliver_sync() == [True, True]  # the second finds the newest state already sent
    held = synced_portal.store()["records"]
    assert set(held) == {MA_HO_SO}  # one record, the portal's, never a second under our code
    assert held[MA_HO_SO]["TrangThaiHoSo"] == 2
    assert held[MA_HO_SO]["KenhThucHien"] == 2
    assert ("DongBoHoSoMC", "False") in synced_portal.services()  # a creation first ...
    assert ("DongBoHoSoMC", "True") in synced_portal.services()  # ... answered "đã tồn tại"
    rows = [r for r in synced_portal.store()["progress"] if r["MaHoSo"] == MA_HO_SO]
    assert [r["TrangThai"] for r in rows] == [1, 2]


def requests_seed(url, data):
    import requests

    requests.post(url + "/_seed", json={"records": [data]}, timeout=5).raise_for_status()


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_dossier_make_one(office, national):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    _, key = national
    _, second = clients.issue("Cổng DVCQG (khóa dự phòng)", scopes=["dvcqg.inbound"], actor=None)
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def go(k: str) -> None:
        barrier.wait()
        statuses.append(post(k, record()).status_code)
        connection.close()

    threads = [threading.Thread(target=go, args=(key if i % 2 else second,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 7 + [201]
    assert Dossier.objects.count() == 1 and InboundDossier.objects.count() == 1
    assert Citizen.objects.filter(personal_id="066088004321").count() == 1


@pytest.fixture
def written_files(monkeypatch):
    """The names of the attachments' files as submission writes them, each write checked to
    happen outside any transaction (no storage I/O while rows are locked)."""
    names: list[str] = []
    real = submission._write_api_files

    def write(prepared):
        assert not connection.in_atomic_block, "files written inside a transaction"
        written = real(prepared)
        names.extend(item.file.name for item in written)
        return written

    monkeypatch.setattr(submission, "_write_api_files", write)
    return names


@pytest.mark.django_db(transaction=True)
def test_the_files_are_written_before_the_transaction_opens(office, national, written_files):
    _, key = national
    assert post(key, record()).status_code == 201
    assert len(written_files) == 1 and default_storage.exists(written_files[0])
    assert DossierFile.objects.get().file.name == written_files[0]
    assert InboundDossier.objects.get().national_code == MA_HO_SO


@pytest.mark.django_db(transaction=True)
def test_a_failure_recording_the_portals_code_keeps_no_dossier_and_no_file(
    office, national, written_files, monkeypatch
):
    _, key = national
    before = nothing_changed()

    def fail(*args, **kwargs):
        raise RuntimeError("the InboundDossier row could not be written")

    monkeypatch.setattr(InboundDossier.objects, "create", fail)
    assert post(key, record(), http=Client(raise_request_exception=False)).status_code == 500
    assert nothing_changed() == before
    assert len(written_files) == 1 and not default_storage.exists(written_files[0])
