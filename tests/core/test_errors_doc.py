"""docs/errors.md lists every declared error code (issue 11): the table is generated from the
registry by `tinhso errors doc`, and this test fails when a code is declared without being
documented (run the command)."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tinhso.core.management.commands import errors as errors_command

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def test_every_app_declares_its_codes_and_setup_finds_them_all():
    apps = {code_id.split(".")[0] for code_id in errors_command.declared()}
    assert {"feedback", "people", "catalogue", "places"} <= apps
    assert "tests" not in apps  # codes the tests declare are not the platform's


def test_every_declared_code_is_in_docs_errors_md():
    documented = set(re.findall(r"^\| `([a-z0-9_.]+)` \|", DOC.read_text(encoding="utf-8"), re.M))
    missing = sorted(set(errors_command.declared()) - documented)
    assert missing == [], "run `.venv/bin/tinhso errors doc`; undocumented: " + ", ".join(missing)


def test_the_table_row_says_the_status_and_the_vietnamese_message():
    row = next(
        line
        for line in errors_command.table().splitlines()
        if line.startswith("| `feedback.report_not_found` |")
    )
    assert row == "| `feedback.report_not_found` | 404 | not_found | Không tìm thấy phản ánh. |"


def test_the_generator_replaces_only_the_table_between_its_markers():
    begin, end = errors_command.BEGIN, errors_command.END
    page = f"# Errors\n\nprose kept\n\n{begin}\n| old | table |\n{end}\n\nmore prose\n"
    out = errors_command.rendered(page)
    assert out.startswith("# Errors\n\nprose kept\n\n" + begin + "\n| code | status |")
    assert out.endswith(end + "\n\nmore prose\n")
    assert "| old | table |" not in out
    assert errors_command.rendered(out) == out  # stable: running it again changes nothing
    with pytest.raises(CommandError, match="no table markers"):
        errors_command.rendered("# Errors without a table\n")


def test_check_fails_on_an_outdated_table(tmp_path, monkeypatch):
    doc = tmp_path / "errors.md"
    doc.write_text(f"{errors_command.BEGIN}\n| stale |\n{errors_command.END}\n", encoding="utf-8")
    monkeypatch.setattr(errors_command, "DOC", doc)
    with pytest.raises(CommandError, match="outdated"):
        call_command("errors", "doc", "--check", stdout=StringIO())
    call_command("errors", "doc", stdout=StringIO())
    call_command("errors", "doc", "--check", stdout=StringIO())
    assert "`people.not_an_official` | 422 | invalid" in doc.read_text(encoding="utf-8")
