"""The write path under concurrent load on PostgreSQL (issue 11, "Done when").

200 dossier submissions through the API (half by client applications for new citizens, half
by signed-in citizens; each with a PDF), 100 receptions of those dossiers by the one-stop
officer and 50 document issuances (number from the register, agency signature), all at once
from 16 threads, each with its own database connection, while the audit sealer runs beside
them. Then: no error and no deadlock; dossier codes and document numbers distinct and
consecutive per counter; one audit record per action; the sealed chain verifies.
"""

from __future__ import annotations

import base64
import queue
import re
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client

from tests.dossiers import support
from tests.dossiers.backoffice import Office, official
from tests.dossiers.conftest import make_version
from tinhso.core import audit
from tinhso.core.models import AuditRecord
from tinhso.documents import actions as documents
from tinhso.documents import pki
from tinhso.documents.models import Document, IssuedNumber, Register, TrustedRoot
from tinhso.dossiers import actions as dossiers
from tinhso.dossiers.models import Dossier, DossierCounter
from tinhso.people import actions as people_actions
from tinhso.people import clients
from tinhso.people.models import Role
from tinhso.places.models import Agency, Province

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 16
SUBMISSIONS = 200
RECEPTIONS = 100
ISSUANCES = 50
URL = "/api/v1/dossiers"
PDF = base64.b64encode(support.pdf_bytes("To khai", pad_to=20_000)).decode()
CODE = re.compile(r"^(?P<agency>[0-9A-Z.]+)-(?P<day>\d{6})-(?P<seq>\d{4})$")


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "PostgreSQL only: SQLite runs one write transaction at a time (BEGIN IMMEDIATE), so "
            "it has neither row-lock deadlocks nor concurrent counters to prove; the PostgreSQL "
            "suite under CI runs this test"
        )


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.AUDIT_ANCHOR_DIR = str(tmp_path / "audit")
    settings.AUDIT_TSA_URL = ""
    settings.DOCUMENTS_TSA_URL = ""


def _world():
    province = Province.objects.create(
        code=66, name="Đắk Lắk", division_type="tỉnh", codename="dak_lak"
    )
    committee = Agency.objects.create(
        code="000.00.00.H66",
        name="Ủy ban nhân dân tỉnh Đắk Lắk",
        short_name="UBND",
        level=Agency.Level.PROVINCE,
        province=province,
    )
    justice = Agency.objects.create(
        code="000.00.03.H66",
        name="Sở Tư pháp tỉnh Đắk Lắk",
        short_name="STP",
        level=Agency.Level.DEPARTMENT,
        parent=committee,
        province=province,
    )
    agencies = {"UBND": committee, "STP": justice}
    version = make_version(justice)
    citizens = [
        people_actions.register_citizen(
            full_name=f"Nguyễn Văn Thử {i}",
            personal_id=f"0660900{i:05d}",
            password=support.PASSWORD,
            phone=f"0912{i:06d}",
            email=f"thu{i}@example.com",
        )
        for i in range(8)
    ]
    return Office.build(agencies, version, citizens[0]), citizens


def _session(user) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "tinhso.people.auth.PhoneEmailOrUsernameBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def _keys(*owners: dict) -> None:
    """A TEST CA trusted by the instance, and a certificate for each owner (an agency or a
    leader: `{"owner_agency": agency}`, `{"owner_user": user}`)."""
    ca = pki.make_test_ca("tinhso TEST CA (concurrency)")
    TrustedRoot.objects.create(name="TEST CA", certificate_pem=ca.certificate_pem, is_test=True)
    for owner in owners:
        holder = owner.get("owner_agency") or owner["owner_user"]
        agency = owner.get("owner_agency") or Agency.objects.get(code="000.00.03.H66")
        documents.add_certificate(
            pki.issue(ca, getattr(holder, "full_name", "") or holder.name, agency.name),
            chain=(ca.certificate,),
            is_test=True,
            **owner,
        )


def _signed_documents(
    agency: Agency, leader, specialist, count: int, *, to: tuple[str, str]
) -> list[Document]:
    """`count` outgoing documents to `to` (organ id, name) signed by the leader, waiting for
    issuance. One goes through draft, approval and signing; the others are copies of it
    (PAdES signing is the slow part, and signing is not what these tests are about)."""
    first = documents.create_draft(
        agency,
        doc_type="CV",
        unit="HCTP",
        subject="Về việc phối hợp kiểm tra",
        content="Sở Tư pháp đề nghị phối hợp.",
        signer=leader,
        signer_position="Giám đốc",
        place="Đắk Lắk",
        recipients=[documents.RecipientSpec(*to)],
        actor=specialist,
    )
    documents.approve_draft(first, actor=leader)
    documents.sign_document(first, signer=leader)
    first.refresh_from_db()
    files = list(first.files.all())
    recipients = list(first.recipients.all())
    made = [first]
    for _ in range(count - 1):
        copy = Document.objects.get(pk=first.pk)
        copy.pk = None
        copy.save(force_insert=True)
        items: list[Any] = [*files, *recipients]
        for item in items:
            item.pk = None
            item.document = copy
            item.save(force_insert=True)
        made.append(copy)
    return made


class Outcome:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.errors: list[str] = []
        self.done: dict[str, int] = defaultdict(int)
        self.submitted: list[str] = []
        self.issued: list[int] = []
        self.seconds: dict[str, float] = defaultdict(float)

    def failed(self, what: str, detail: str) -> None:
        with self.lock:
            self.errors.append(f"{what}: {detail}")


def _run_concurrently(tasks: list[Callable[[Client], None]], outcome: Outcome) -> float:
    """Run `tasks` from THREADS threads (a Django connection each, closed at the end) started
    together, and the sealer every 0.2 s beside them; the elapsed seconds."""
    pending: queue.Queue[Callable[[Client], None]] = queue.Queue()
    for task in tasks:
        pending.put(task)
    start = threading.Barrier(THREADS + 1)
    workers_done = threading.Event()

    def worker() -> None:
        http = Client()
        try:
            start.wait()
            while True:
                try:
                    task = pending.get_nowait()
                except queue.Empty:
                    return
                t0 = time.perf_counter()
                try:
                    task(http)
                except Exception as exc:  # every failure is collected, none stops the run
                    outcome.failed(type(exc).__name__, "".join(traceback.format_exception(exc)))
                with outcome.lock:
                    outcome.seconds[task.__qualname__.split(".<locals>.")[1]] += (
                        time.perf_counter() - t0
                    )
        finally:
            connections.close_all()

    def sealer() -> None:
        try:
            start.wait()
            while not workers_done.is_set():
                audit.seal()
                time.sleep(0.2)
        except Exception as exc:
            outcome.failed("sealer", "".join(traceback.format_exception(exc)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    seal_thread = threading.Thread(target=sealer)
    for t in [*threads, seal_thread]:
        t.start()
    t0 = time.perf_counter()
    for t in threads:
        t.join(timeout=300)
    elapsed = time.perf_counter() - t0
    workers_done.set()
    seal_thread.join(timeout=60)
    assert not any(t.is_alive() for t in [*threads, seal_thread]), "a thread hung"
    return elapsed


def test_submissions_receptions_and_issuances_at_once():
    office, citizens = _world()
    sessions = [_session(c) for c in citizens]
    _client, api_key = clients.issue(
        "Cổng Dịch vụ công quốc gia",
        scopes=["dossiers.submit"],
        actor=None,
        requests_per_minute=100_000,
    )
    justice = office.agencies["STP"]
    clerk = people_actions.create_official(
        username="vanthu_stp",
        full_name="Văn thư Sở Tư pháp",
        email="vanthu_stp@example.com",
        password=support.PASSWORD,
        actor=None,
    )
    people_actions.grant_role(clerk, justice, Role.CLERK, actor=None)
    _keys({"owner_agency": justice}, {"owner_user": office.lanhdao})
    to_issue = _signed_documents(
        justice, office.lanhdao, office.chuyenvien, ISSUANCES, to=("000.00.99.H01", "Bộ Tư pháp")
    )
    audit_before = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0

    outcome = Outcome()
    submitted: queue.Queue[int] = queue.Queue()

    def submit(i: int) -> Callable[[Client], None]:
        data = {
            "procedure": "2.000488",
            # a citizen files as themselves: the e-form's name is the account's own
            "form": {
                "ho_ten": f"Nguyễn Văn Thử {i % len(sessions)}",
                "ngay_sinh": "1990-05-12",
                "so_ban_sao": i % 5,
            },
            "delivery": "online",
            "attachments": [
                {"component": "TK", "filename": f"to-khai-{i}.pdf", "content_base64": PDF}
            ],
        }
        headers = {"Idempotency-Key": f"dong-thoi-{i:06d}"}
        if i % 2:  # a client application, for a citizen not known yet
            headers["X-API-Key"] = api_key
            data["applicant"] = {
                "personal_id": f"0660850{i:05d}",
                "full_name": f"Trần Thị Nộp {i}",
                "phone": f"0905{i:06d}",
                "email": f"nop{i}@example.com",
                "address": "45 Phan Bội Châu, Buôn Ma Thuột",
            }

        def run(http: Client) -> None:
            if not i % 2:
                http.cookies["sessionid"] = sessions[i % len(sessions)]
            response = http.post(URL, data, content_type="application/json", headers=headers)
            if response.status_code != 201:
                outcome.failed(f"submission {i}", f"{response.status_code} {response.content!r}")
                return
            code = response.json()["code"]
            with outcome.lock:
                outcome.submitted.append(code)
            submitted.put(Dossier.objects.values_list("pk", flat=True).get(code=code))

        return run

    def receive(http: Client) -> None:
        dossier = Dossier.objects.get(pk=submitted.get(timeout=120))
        dossiers.receive(dossier, officer=office.tiepnhan)
        with outcome.lock:
            outcome.done["received"] += 1

    def issue(document: Document) -> Callable[[Client], None]:
        def run(http: Client) -> None:
            done = documents.issue_document(document, actor=clerk)
            with outcome.lock:
                outcome.issued.append(done.register_number or 0)

        return run

    # Interleaved so that each reception is queued after two submissions: a reception waits
    # only for a submission already started, never for one no thread has taken.
    tasks: list[Callable[[Client], None]] = []
    documents_left = list(to_issue)
    for i in range(SUBMISSIONS):
        tasks.append(submit(i))
        if i % 2:
            tasks.append(receive)
        if i % 4 == 3 and documents_left:
            tasks.append(issue(documents_left.pop()))
    assert len(tasks) == SUBMISSIONS + RECEPTIONS + ISSUANCES, len(tasks)

    elapsed = _run_concurrently(tasks, outcome)
    call_command("audit", "seal")

    assert outcome.errors == [], f"{len(outcome.errors)} failed:\n" + "\n".join(outcome.errors)
    busy = ", ".join(f"{k} {v:.0f} s" for k, v in sorted(outcome.seconds.items()))
    print(
        f"\n{len(tasks)} actions from {THREADS} threads in {elapsed:.1f} s (threads busy: {busy})"
    )

    # Dossier codes: distinct, and per counter (agency, day) exactly 1..last.
    codes = [c for c in Dossier.objects.values_list("code", flat=True) if c]
    assert sorted(codes) == sorted(outcome.submitted) and len(set(codes)) == SUBMISSIONS
    by_counter: dict[tuple[str, str], list[int]] = defaultdict(list)
    for code in codes:
        parts = CODE.match(code)
        assert parts, code
        by_counter[parts["agency"], parts["day"]].append(int(parts["seq"]))
    for (agency_code, day), numbers in by_counter.items():
        counter = DossierCounter.objects.get(
            agency__code=agency_code,
            day=date(2000 + int(day[:2]), int(day[2:4]), int(day[4:])),
        )
        assert sorted(numbers) == list(range(1, counter.last + 1)), (agency_code, day)
    assert Dossier.objects.filter(state=Dossier.State.RECEIVED).count() == RECEPTIONS
    assert Dossier.objects.filter(state=Dossier.State.SUBMITTED).count() == (
        SUBMISSIONS - RECEPTIONS
    )

    # Document numbers: distinct and consecutive in the one register.
    register = Register.objects.get(agency=justice, direction="outgoing")
    assert register.last_number == ISSUANCES
    assert sorted(outcome.issued) == list(range(1, ISSUANCES + 1))
    assert sorted(
        IssuedNumber.objects.filter(register=register).values_list("number", flat=True)
    ) == list(range(1, ISSUANCES + 1))
    assert Document.objects.filter(state=Document.State.ISSUED).count() == ISSUANCES

    # One audit record per action, on the object it changed.
    new_records = AuditRecord.objects.filter(id__gt=audit_before)
    per_action: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    for action, object_id in new_records.values_list("action", "object_id"):
        per_action[action].add(object_id)
        counts[action] += 1
    submitted_ids = {
        str(pk) for pk in Dossier.objects.exclude(code=None).values_list("pk", flat=True)
    }
    received_ids = {
        str(pk)
        for pk in Dossier.objects.filter(state=Dossier.State.RECEIVED).values_list("pk", flat=True)
    }
    assert counts["dossier.submitted"] == SUBMISSIONS
    assert per_action["dossier.submitted"] == submitted_ids
    assert counts["dossier.received"] == RECEPTIONS
    assert per_action["dossier.received"] == received_ids
    assert counts["documents.issue"] == ISSUANCES
    assert per_action["documents.issue"] == {str(d.pk) for d in to_issue}
    assert counts["documents.number.issue"] == ISSUANCES

    # The sealer ran beside the writers: every record sealed once, the chain verifies.
    result = audit.verify()
    assert result.ok, result.message
    assert result.unsealed == 0
    total = AuditRecord.objects.count()
    assert result.checked == total
    seqs = [seq for seq in AuditRecord.objects.values_list("seq", flat=True) if seq is not None]
    assert sorted(seqs) == list(range(1, total + 1))


def test_sender_and_local_recipient_acting_at_once_do_not_deadlock():
    """A recall by the sender and the recipient's 'finished' answer, on the same document
    delivered inside the instance, at the same moment: both must complete (one waits)."""
    office, _citizens = _world()
    justice, committee = office.agencies["STP"], office.agencies["UBND"]
    _keys({"owner_agency": justice}, {"owner_agency": committee}, {"owner_user": office.lanhdao})
    pairs = THREADS // 2
    sent = _signed_documents(
        justice, office.lanhdao, office.chuyenvien, pairs, to=(committee.code, committee.name)
    )
    clerk = official("vanthu_ubnd", "Văn thư UBND", (Role.CLERK, committee))
    leader = official("lanhdao_ubnd", "Lãnh đạo UBND", (Role.LEADER, committee))
    received = []
    for doc in sent:
        issued = documents.issue_document(doc, actor=office.vanthu)
        copy = Document.objects.get(
            agency=committee, direction="incoming", exchange_id=issued.exchange_id
        )
        documents.register_incoming(copy, actor=clerk)
        received.append(copy)

    outcome = Outcome()
    tasks: list[Callable[[Client], None]] = []
    for doc, copy in zip(sent, received, strict=True):

        def recall(http: Client, doc: Document = doc) -> None:
            documents.recall_document(doc, reason="Nhầm", actor=office.vanthu)

        def finish(http: Client, copy: Document = copy) -> None:
            documents.finish(copy, result="Xong", actor=leader)

        tasks += [recall, finish]
    _run_concurrently(tasks, outcome)

    deadlocks = [e for e in outcome.errors if "deadlock detected" in e]
    assert outcome.errors == [], (
        f"{len(deadlocks)} deadlocks among {len(outcome.errors)} errors:\n"
        + "\n".join(outcome.errors[:2])
    )
    assert Document.objects.filter(pk__in=[d.pk for d in sent], state="recalled").count() == pairs
    assert (
        Document.objects.filter(pk__in=[d.pk for d in received], state="finished").count() == pairs
    )


def test_first_submissions_for_one_new_citizen_at_once():
    """Submissions for one citizen not known yet, through a client application, at the same
    moment (different Idempotency-Keys, as from two channels): all are accepted, and the
    citizen gets one account that owns them all."""
    _world()
    _client, api_key = clients.issue(
        "Cổng Dịch vụ công quốc gia", scopes=["dossiers.submit"], actor=None
    )
    outcome = Outcome()
    applicant = {
        "personal_id": "066088004321",
        "full_name": "Lê Văn Cường",
        "phone": "0905123456",
        "email": "cuong.le@example.com",
        "address": "45 Phan Bội Châu, Buôn Ma Thuột",
    }

    def submit(i: int) -> Callable[[Client], None]:
        data = {
            "procedure": "2.000488",
            "form": {"ho_ten": "Lê Văn Cường", "ngay_sinh": "1988-05-12"},
            "delivery": "online",
            "attachments": [{"component": "TK", "filename": "tk.pdf", "content_base64": PDF}],
            "applicant": applicant,
        }
        headers = {"Idempotency-Key": f"cung-cong-dan-{i:04d}", "X-API-Key": api_key}

        def run(http: Client) -> None:
            response = http.post(URL, data, content_type="application/json", headers=headers)
            if response.status_code != 201:
                outcome.failed(f"submission {i}", f"{response.status_code} {response.content!r}")

        return run

    _run_concurrently([submit(i) for i in range(THREADS)], outcome)
    assert outcome.errors == [], "\n".join(outcome.errors[:2])
    owners = set(Dossier.objects.values_list("owner__username", flat=True))
    assert owners == {"066088004321"}
    assert Dossier.objects.count() == THREADS
