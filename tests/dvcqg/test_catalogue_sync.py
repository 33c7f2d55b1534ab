"""The catalogue kept in step with the national procedure database (docs/dvcqg.md,
"Catalogue sync"): sample procedure records from ../shared/domain/samples served by a local
server; new, changed and withdrawn procedures are listed for an administrator, and nothing
is published until the administrator publishes it."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tinhso.catalogue.models import Procedure, ProcedureVersion
from tinhso.core import periodic
from tinhso.core.models import AuditRecord
from tinhso.dvcqg import actions, catalogue_sync
from tinhso.dvcqg.models import CatalogueChange
from tinhso.people import actions as people_actions
from tinhso.people.models import Role

SAMPLES = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "domain"
    / "samples"
    / "procedures"
    / "opengov-dvcqg"
    / "details"
)
CODES = ["1.000080", "1.000094", "1.000110"]


def sample(code: str) -> dict:
    return json.loads((SAMPLES / f"{code}.json").read_text(encoding="utf-8"))


class Source:
    """A local server answering the records it is given as a JSON list."""

    def __init__(self) -> None:
        self.records: list[dict] = []
        source = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                body = json.dumps(source.records, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/thu-tuc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def source(settings) -> Iterator[Source]:
    if not SAMPLES.is_dir():
        pytest.skip(f"no sample procedures at {SAMPLES}")
    served = Source()
    served.records = [sample(c) for c in CODES]
    settings.CATALOGUE_SOURCE_URL = served.url
    yield served
    served.server.shutdown()


@pytest.fixture
def it_admin(agencies):
    user = people_actions.create_official(
        username="quantri.tinh",
        full_name="Quản trị tỉnh",
        email="quantri@example.com",
        password="Mat-khau-dai-2026",
        actor=None,
        is_staff=True,
    )
    people_actions.grant_role(user, agencies["UBND"], Role.ADMINISTRATOR, actor=None)
    return user


def waiting() -> dict[str, str]:
    return dict(
        CatalogueChange.objects.filter(state=CatalogueChange.State.WAITING).values_list(
            "code", "kind"
        )
    )


def test_new_procedures_are_listed_not_published(db, source):
    report = catalogue_sync.run()
    assert sorted(report.new) == CODES and report.changed == [] and report.withdrawn == []
    assert waiting() == {c: "new" for c in CODES}
    assert Procedure.objects.count() == 0  # nothing published by the sync
    again = catalogue_sync.run()  # a second run finds the same: nothing new is staged
    assert sorted(again.new) == CODES
    assert CatalogueChange.objects.count() == 3


def test_the_administrator_publishes_then_changes_and_withdrawals_are_found(db, source, it_admin):
    catalogue_sync.run()
    for change in CatalogueChange.objects.filter(state="waiting"):
        catalogue_sync.publish(change.pk, actor=it_admin)
    assert set(Procedure.objects.values_list("code", flat=True)) == set(CODES)
    assert ProcedureVersion.objects.filter(state="published").count() == 3
    assert AuditRecord.objects.filter(action="dvcqg.catalogue_change_published").count() == 3
    assert catalogue_sync.run().unchanged == 3 and waiting() == {}

    # the national database changes one procedure's name and drops another
    changed = copy.deepcopy(sample(CODES[0]))
    changed["data"]["name"] = changed["data"]["name"] + " (sửa đổi)"
    source.records = [changed, sample(CODES[1])]
    report = catalogue_sync.run()
    assert report.changed == [CODES[0]] and report.withdrawn == [CODES[2]]
    assert waiting() == {CODES[0]: "changed", CODES[2]: "withdrawn"}
    procedure = Procedure.objects.get(code=CODES[0])
    assert "(sửa đổi)" not in procedure.current_version.name  # still not published
    assert Procedure.objects.get(code=CODES[2]).is_active

    for change in CatalogueChange.objects.filter(state="waiting"):
        catalogue_sync.publish(change.pk, actor=it_admin)
    assert "(sửa đổi)" in Procedure.objects.get(code=CODES[0]).current_version.name
    assert not Procedure.objects.get(code=CODES[2]).is_active


def test_only_the_provincial_administrator_may_publish(db, source, agencies):
    catalogue_sync.run()
    officer = people_actions.create_official(
        username="chuyenvien",
        full_name="Chuyên viên",
        email="cv@example.com",
        password="Mat-khau-dai-2026",
        actor=None,
    )
    people_actions.grant_role(officer, agencies["STP"], Role.ADMINISTRATOR, actor=None)
    change = CatalogueChange.objects.first()
    with pytest.raises(actions.NotPermitted):
        catalogue_sync.publish(change.pk, actor=officer)
    assert Procedure.objects.count() == 0


def test_the_command_and_the_schedule(db, source):
    out = StringIO()
    call_command("dvcqg", "catalogue", stdout=out)
    assert "3 mới" in out.getvalue() and "chờ quản trị công bố" in out.getvalue()
    out = StringIO()
    call_command("dvcqg", "catalogue", "--json", stdout=out)
    assert sorted(json.loads(out.getvalue())["new"]) == CODES
    assert "dvcqg.catalogue_sync" in periodic.JOBS
    report = periodic.JOBS["dvcqg.catalogue_sync"].run()
    assert sorted(report.new) == CODES


def test_a_file_source_works_too(db, settings, tmp_path):
    if not SAMPLES.is_dir():
        pytest.skip("no samples")
    for code in CODES[:2]:
        (tmp_path / f"{code}.json").write_text(json.dumps(sample(code)), encoding="utf-8")
    report = catalogue_sync.run(str(tmp_path))
    assert sorted(report.new) == CODES[:2]
