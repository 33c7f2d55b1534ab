"""The national data store adapter (GetKetQuaGiayTo, GetGiayToByUrl) against a local peer in
its own process (tests/datastore/national_peer.py); a fetched document enters the store with
provenance "national store"."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.dossiers.support import pdf_bytes
from tests.payments.peer_process import peer
from tinhso.core.outbox import PermanentError, RetryableError
from tinhso.datastore import national
from tinhso.datastore.errors import DatastoreError
from tinhso.datastore.models import StoredDocument
from tinhso.dvcqg.client import forget_sessions
from tinhso.people.models import Citizen

HERE = Path(__file__).resolve().parent
USERNAME, PASSWORD, UNIT = "tinh66", "mat-khau-thu", "000.00.00.H66"
OWNER = "066090001234"
BIRTH = "https://kho.dichvucong.gov.vn/tep/gks-123.pdf"
PLAIN = "https://kho.dichvucong.gov.vn/tep/khac.bin"
AGENCY = "UBND xã Hòa Thắng"
BIRTH_PDF = pdf_bytes("Giay khai sinh so 123/1990")
HOLDINGS = {
    "owners": {
        OWNER: [
            {
                "MaKetQua": "KQ.G15.000031",
                "TenGiayTo": "Giấy khai sinh",
                "SoKyHieu": "123/1990",
                "CoQuanChuQuan": AGENCY,
                "DanhSachTepDinhKem": [{"TenTep": "giay-khai-sinh.pdf", "DuongDan": BIRTH}],
            },
            {
                "MaKetQua": "KQ.X99.000001",
                "TenGiayTo": "Giấy tờ khác",
                "SoKyHieu": "9",
                "CoQuanChuQuan": AGENCY,
                "DanhSachTepDinhKem": [{"TenTep": "khac.bin", "DuongDan": PLAIN}],
            },
        ]
    },
    "files": {
        BIRTH: base64.b64encode(BIRTH_PDF).decode(),
        PLAIN: base64.b64encode(b"MZ\x90\x00 not a document").decode(),
    },
}


class Peer:
    def __init__(self, url: str) -> None:
        self.url = url

    def mode(self, mode: str) -> None:
        requests.post(self.url + "/_mode", json={"mode": mode}, timeout=5).raise_for_status()

    def calls(self) -> list[dict]:
        return requests.get(self.url + "/_calls", timeout=5).json()

    def store(self, **overrides) -> national.NationalStore:
        from tinhso.dvcqg.client import PortalClient

        client = PortalClient(
            base_url=self.url,
            username=USERNAME,
            password=PASSWORD,
            unit_code=UNIT,
            read_timeout=overrides.pop("read_timeout", 5.0),
        )
        return national.NationalStore(client, overrides.pop("max_bytes", 1024 * 1024))


@pytest.fixture
def national_peer(tmp_path) -> Iterator[Peer]:
    holdings = tmp_path / "holdings.json"
    holdings.write_text(json.dumps(HOLDINGS, ensure_ascii=False), encoding="utf-8")
    forget_sessions()
    with peer(str(HERE / "national_peer.py"), USERNAME, PASSWORD, UNIT, str(holdings)) as url:
        yield Peer(url)
    forget_sessions()


def _ask(store: national.NationalStore, *codes: str) -> list[national.NationalDocument]:
    return store.results(
        owner_id=OWNER,
        requester_id=OWNER,
        requester_name="Nguyễn Văn An",
        procedure_code="1.001234",
        wanted=[(c, "") for c in codes],
    )


def test_get_ket_qua_giay_to_lists_the_owners_results_of_the_asked_kinds(national_peer):
    found = _ask(national_peer.store(), "KQ.G15.000031")
    assert found == [
        national.NationalDocument(
            result_code="KQ.G15.000031",
            name="Giấy khai sinh",
            number="123/1990",
            agency=AGENCY,
            files=(national.NationalFile("giay-khai-sinh.pdf", BIRTH),),
        )
    ]
    assert national_peer.calls() == [
        {
            "service": "GetKetQuaGiayTo",
            "madonvi": UNIT,
            "data": {
                "SoDinhDanhChuSoHuu": OWNER,
                "SoDinhDanhNguoiYeuCau": OWNER,
                "HoTenNguoiYeuCau": "Nguyễn Văn An",
                "KenhThucHien": "2",
                "MaThuTuc": "1.001234",
                "DanhSachDanhMucKetQua": [{"MaKetQua": "KQ.G15.000031"}],
            },
        }
    ]


def test_a_fetched_document_enters_the_store_with_provenance_national_store(national_peer, citizen):
    owner = Citizen.objects.get(user=citizen)
    store = national_peer.store()
    document = _ask(store, "KQ.G15.000031")[0]
    stored = national.enter(owner, document, document.files[0], store=store)
    assert (stored.citizen, stored.provenance, stored.national_ref) == (
        owner,
        StoredDocument.Provenance.NATIONAL_STORE,
        BIRTH,
    )
    assert (stored.kind.national_code, stored.number, stored.issuer_name) == (
        "KQ.G15.000031",
        "123/1990",
        AGENCY,
    )
    assert stored.sha256 == hashlib.sha256(BIRTH_PDF).hexdigest()
    with stored.file.open("rb") as f:
        assert f.read() == BIRTH_PDF
    assert national_peer.calls()[-1]["data"] == {"CoQuanChuQuan": AGENCY, "DuongDan": BIRTH}


def test_a_file_the_store_refuses_enters_nothing(national_peer, citizen):
    owner = Citizen.objects.get(user=citizen)
    store = national_peer.store()
    document = _ask(store, "KQ.X99.000001")[0]
    with pytest.raises(DatastoreError):
        national.enter(owner, document, document.files[0], store=store)
    assert not StoredDocument.objects.exists()


def test_the_portals_refusal_is_typed_and_permanent(national_peer, citizen):
    store = national_peer.store()
    with pytest.raises(national.NationalStoreRejected) as refused:
        store.fetch(agency="Cơ quan khác", url=BIRTH)
    assert isinstance(refused.value, PermanentError)
    assert str(refused.value) == (
        "Kho dữ liệu quốc gia từ chối: Cơ quan chủ quản không khớp (mã 5)"
    )
    with pytest.raises(national.NationalStoreRejected):
        store.results(
            owner_id=OWNER, requester_id="", requester_name="", procedure_code="", wanted=[]
        )


def test_a_file_over_the_limit_is_refused_before_decoding(national_peer, db):
    store = national_peer.store(max_bytes=100)
    with pytest.raises(national.NationalStoreRejected) as refused:
        store.fetch(agency=AGENCY, url=BIRTH)
    assert "vượt quá dung lượng" in str(refused.value)


@pytest.mark.parametrize("mode", ["500", "garbage"])
def test_an_unusable_answer_is_retryable(national_peer, mode):
    national_peer.mode(mode)
    with pytest.raises(national.NationalStoreUnavailable) as failed:
        _ask(national_peer.store(), "KQ.G15.000031")
    assert isinstance(failed.value, RetryableError)


def test_a_slow_answer_times_out_at_the_configured_limit(national_peer):
    national_peer.mode("slow")
    with pytest.raises(national.NationalStoreUnavailable) as failed:
        _ask(national_peer.store(read_timeout=0.5), "KQ.G15.000031")
    assert "không trả lời trong 0.5 giây" in str(failed.value)


def test_an_expired_session_is_renewed_once(national_peer):
    store = national_peer.store()
    assert len(_ask(store, "KQ.G15.000031")) == 1
    national_peer.mode("expire")
    assert len(_ask(store, "KQ.G15.000031")) == 1


def test_configuration_from_the_environment(settings):
    settings.DATASTORE_NATIONAL_URL = ""
    settings.DVCQG_URL = ""
    with pytest.raises(national.NationalStoreNotConfigured):
        national.NationalStore.from_settings()
    settings.DVCQG_URL = "http://cong.example/api"
    settings.DATASTORE_NATIONAL_TIMEOUT = 7
    settings.DATASTORE_NATIONAL_MAX_MB = 2
    store = national.NationalStore.from_settings()
    assert (store.client.base_url, store.client.read_timeout, store.max_bytes) == (
        "http://cong.example/api",
        7.0,
        2 * 1024 * 1024,
    )
    settings.DATASTORE_NATIONAL_URL = "http://kho.example/lgsp"
    assert national.NationalStore.from_settings().client.base_url == "http://kho.example/lgsp"


# --- "already held" is judged per document (kind and number), not only per national file --
class _FakeStore:
    """A national store that hands `content` back; `during` runs inside the fetch (another
    tab entering the same paper meanwhile)."""

    def __init__(self, content: bytes, during: Callable[[], object] | None = None) -> None:
        self.content, self.during, self.fetched = content, during, 0

    def fetch(self, *, agency: str, url: str) -> tuple[str, bytes]:
        self.fetched += 1
        if self.during is not None:
            self.during()
        return "tep.pdf", self.content


BIRTH_DOC = national.NationalDocument(
    result_code="KQ.G15.000031",
    name="Giấy khai sinh",
    number="123/1990",
    agency=AGENCY,
    files=(national.NationalFile("giay-khai-sinh.pdf", BIRTH),),
)


def _digitise(owner: Citizen, number: str, code: str = "GKS") -> StoredDocument:
    from tinhso.datastore import actions
    from tinhso.datastore.models import DocumentKind

    return actions.digitise(
        owner,
        officer=None,
        kind=DocumentKind.objects.get(code=code),
        file_name="ban-sao.pdf",
        content=pdf_bytes(f"Ban sao {number}"),
        number=number,
    )


def _rows() -> list[dict]:
    return list(StoredDocument.objects.order_by("pk").values())


@pytest.mark.parametrize(
    "typed,same",
    [
        ("123/1990", "123/1990"),
        (" 123 / 1990 ", "123/1990"),
        ("SỐ12-AB", "số12-ab"),
        ("123/1991", None),
    ],
)
def test_number_key_ignores_case_and_white_space(typed, same):
    key = national.number_key(typed)
    if same is None:
        assert key != national.number_key("123/1990")
    else:
        assert key == national.number_key(same)
    assert national.number_key("") == "" and national.number_key("   ") == ""


def test_a_paper_digitised_at_the_counter_is_held_and_not_taken_again(citizen):
    owner = Citizen.objects.get(user=citizen)
    file = BIRTH_DOC.files[0]
    assert not national.held(owner, BIRTH_DOC, file)
    _digitise(owner, "123 / 1990")  # typed with spaces at the counter
    assert national.held(owner, BIRTH_DOC, file)
    before = _rows()
    store = _FakeStore(BIRTH_PDF)
    with pytest.raises(national.AlreadyTaken):
        national.enter(owner, BIRTH_DOC, file, store=store, once=True)
    assert store.fetched == 0  # refused before the fetch
    assert _rows() == before


def test_a_same_number_of_another_kind_or_no_number_is_not_held(citizen):
    owner = Citizen.objects.get(user=citizen)
    _digitise(owner, "123/1990", code="GCNKH")  # a marriage certificate numbered alike
    _digitise(owner, "")
    assert not national.held(owner, BIRTH_DOC, BIRTH_DOC.files[0])
    unnumbered = national.NationalDocument(
        result_code="KQ.G15.000031", name="Giấy khai sinh", number="", agency=AGENCY, files=()
    )
    assert not national.held(owner, unnumbered, BIRTH_DOC.files[0])
    stored = national.enter(
        owner,
        BIRTH_DOC,
        BIRTH_DOC.files[0],
        store=_FakeStore(BIRTH_PDF),
        once=True,
    )
    assert stored.number == "123/1990"


def test_a_same_number_paper_entered_during_the_fetch_is_refused_under_the_lock(citizen):
    owner = Citizen.objects.get(user=citizen)
    store = _FakeStore(BIRTH_PDF, during=lambda: _digitise(owner, "123/1990"))
    with pytest.raises(national.AlreadyTaken):
        national.enter(owner, BIRTH_DOC, BIRTH_DOC.files[0], store=store, once=True)
    assert store.fetched == 1
    # only the counter's copy: the national one was refused under the owner's row lock
    assert [d["provenance"] for d in _rows()] == [StoredDocument.Provenance.DIGITISED]
