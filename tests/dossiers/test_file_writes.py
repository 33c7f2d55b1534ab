"""File storage writes happen outside transactions, and a failed transaction leaves no file."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection

from tinhso.dossiers import actions
from tinhso.dossiers.models import DossierFile

from . import support


def _files(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_attach_file_writes_the_file_before_the_transaction(version, citizen):
    draft = actions.start_draft(version, user=citizen)
    tk = version.components.get(code="TK")
    depth_outside = len(connection.atomic_blocks)
    depths = []
    real_save = FileSystemStorage._save  # type: ignore[attr-defined]

    def save(storage, name, content):
        depths.append(len(connection.atomic_blocks))
        return real_save(storage, name, content)

    with mock.patch.object(FileSystemStorage, "_save", save):
        item = actions.attach_file(draft, tk.pk, "to-khai.pdf", support.pdf_bytes(), user=citizen)
    assert depths == [depth_outside]  # written with no transaction of the action open
    stored = DossierFile.objects.get(pk=item.pk)
    name = stored.file.name or ""
    assert name.startswith(f"dossiers/{draft.pk}/") and name.endswith(".pdf")
    assert stored.file.storage.exists(name)
    assert stored.file.read() == support.pdf_bytes()


def test_a_failed_transaction_removes_the_file_it_wrote(version, citizen, media_in_tmp):
    draft = actions.start_draft(version, user=citizen)
    tk = version.components.get(code="TK")
    before = _files(media_in_tmp)
    with (
        mock.patch("tinhso.core.audit.record", side_effect=RuntimeError("audit down")),
        pytest.raises(RuntimeError),
    ):
        actions.attach_file(draft, tk.pk, "to-khai.pdf", support.pdf_bytes(), user=citizen)
    assert DossierFile.objects.filter(dossier=draft).count() == 0
    assert _files(media_in_tmp) == before  # no orphan


def test_the_same_content_twice_gets_two_files(version, citizen):
    """Unique names: a second upload of the same bytes never overwrites the first's file."""
    draft = actions.start_draft(version, user=citizen)
    tk = version.components.get(code="TK")
    first = actions.attach_file(draft, tk.pk, "a.pdf", support.pdf_bytes(), user=citizen)
    second = actions.attach_file(draft, tk.pk, "b.pdf", support.pdf_bytes(), user=citizen)
    assert first.file.name != second.file.name
    actions.remove_file(second, user=citizen)
    assert first.file.storage.exists(first.file.name or "")


def test_attach_result_writes_first_and_cleans_up_on_failure(office, media_in_tmp):
    dossier = office.approved()
    depth_outside = len(connection.atomic_blocks)
    depths = []
    real_save = FileSystemStorage._save  # type: ignore[attr-defined]

    def save(storage, name, content):
        depths.append(len(connection.atomic_blocks))
        return real_save(storage, name, content)

    before = _files(media_in_tmp)
    with (
        mock.patch.object(FileSystemStorage, "_save", save),
        mock.patch("tinhso.core.audit.record", side_effect=RuntimeError("audit down")),
        pytest.raises(RuntimeError),
    ):
        actions.attach_result(dossier, "Phiếu", support.pdf_bytes("kq"), officer=office.vanthu)
    assert depths == [depth_outside]
    assert _files(media_in_tmp) == before and not dossier.results.exists()
    result = actions.attach_result(dossier, "Phiếu", support.pdf_bytes("kq"), officer=office.vanthu)
    assert result.file.read() == support.pdf_bytes("kq")


def test_a_refused_result_writes_nothing(office, media_in_tmp):
    dossier = office.approved()
    before = _files(media_in_tmp)
    with pytest.raises(actions.DossierError):
        actions.attach_result(dossier, "Phiếu", support.pdf_bytes("kq"), officer=office.tiepnhan)
    assert _files(media_in_tmp) == before


def test_forward_writes_its_papers_first_and_cleans_up_on_failure(office, media_in_tmp):
    from tinhso.dossiers.models import ProcessingPaper

    dossier = office.received()
    papers = [actions.Paper(ProcessingPaper.Kind.DRAFT_RESULT, "du-thao.pdf", support.pdf_bytes())]
    depth_outside = len(connection.atomic_blocks)
    depths = []
    real_save = FileSystemStorage._save  # type: ignore[attr-defined]

    def save(storage, name, content):
        depths.append(len(connection.atomic_blocks))
        return real_save(storage, name, content)

    before = _files(media_in_tmp)
    with (
        mock.patch.object(FileSystemStorage, "_save", save),
        mock.patch("tinhso.core.audit.record", side_effect=RuntimeError("audit down")),
        pytest.raises(RuntimeError),
    ):
        actions.forward(dossier, officer=office.chuyenvien, papers=papers)
    assert depths == [depth_outside]
    assert _files(media_in_tmp) == before and not dossier.papers.exists()
    # refused (not the step's performer): nothing written at all
    with pytest.raises(actions.DossierError):
        actions.forward(dossier, officer=office.vanthu, papers=papers)
    assert _files(media_in_tmp) == before
    actions.forward(dossier, officer=office.chuyenvien, papers=papers)
    paper = dossier.papers.get()
    assert paper.file.read() == support.pdf_bytes() and paper.step_record is not None


def test_api_submission_writes_its_files_first_and_cleans_up_on_failure(
    client, version, citizen, media_in_tmp
):
    from .test_api import body, post

    client.force_login(citizen)
    depths: list[int] = []
    real_save = FileSystemStorage._save  # type: ignore[attr-defined]

    def save(storage, name, content):
        depths.append(len(connection.atomic_blocks))
        return real_save(storage, name, content)

    depth_outside = len(connection.atomic_blocks)
    before = _files(media_in_tmp)
    with (
        mock.patch.object(FileSystemStorage, "_save", save),
        mock.patch(
            "tinhso.dossiers.actions.submission._finish_submission",
            side_effect=RuntimeError("counter down"),
        ),
    ):
        assert post(client, body()).status_code == 500
    assert depths == [depth_outside]  # the request's own atomic blocks: none around the write
    assert _files(media_in_tmp) == before
    assert DossierFile.objects.count() == 0
    created = post(client, body())
    assert created.status_code == 201
    item = DossierFile.objects.get()
    assert item.file.read() == support.pdf_bytes()


def test_counter_intake_writes_its_files_first_and_cleans_up_on_failure(office, media_in_tmp):
    tk = office.version.components.get(code="TK")
    depths: list[int] = []
    real_save = FileSystemStorage._save  # type: ignore[attr-defined]

    def save(storage, name, content):
        depths.append(len(connection.atomic_blocks))
        return real_save(storage, name, content)

    def take_in():
        return actions.intake(
            office.version,
            officer=office.tiepnhan,
            channel="counter",
            personal_id="066195000999",
            full_name="Trần Thị Thu Hương",
            phone="0905123456",
            form={"ho_ten": "Trần Thị Thu Hương", "ngay_sinh": "1995-03-08"},
            components=[
                actions.PaperComponent(tk.pk, "to-khai.pdf", support.pdf_bytes("tk"), True)
            ],
            delivery="counter",
        )

    depth_outside = len(connection.atomic_blocks)
    before = _files(media_in_tmp)
    with (
        mock.patch.object(FileSystemStorage, "_save", save),
        mock.patch(
            "tinhso.dossiers.actions.intake.receive", side_effect=RuntimeError("counter down")
        ),
        pytest.raises(RuntimeError),
    ):
        take_in()
    assert depths == [depth_outside]
    assert _files(media_in_tmp) == before
    dossier = take_in()
    assert dossier.files.get().file.read() == support.pdf_bytes("tk")


def test_no_file_is_written_elsewhere_than_store_first():
    """The class of defect: every storage write of the dossiers app goes through
    `_store_first`, which actions call before their transaction."""
    import pathlib
    import re

    import tinhso.dossiers

    root = pathlib.Path(tinhso.dossiers.__file__).parent
    writes = re.compile(r"\.file\.save\(|storage\.save\(|default_storage")
    found = [
        (str(path.relative_to(root)), line.strip())
        for path in sorted(root.rglob("*.py"))
        for line in path.read_text().splitlines()
        if writes.search(line)
    ]
    assert found == [
        (
            "actions/_common.py",
            "return str(field.storage.save(target, ContentFile(content), "
            "max_length=field.max_length))",
        )
    ], found
