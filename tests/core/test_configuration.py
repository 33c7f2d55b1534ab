"""Configuration: documented exactly, and bad values stop start-up with one clear line."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.support import ROOT, subprocess_env
from tinhso.conf import REGISTRY

PRODUCTION = {
    "TINHSO_MODE": "production",
    "SECRET_KEY": "k" * 20 + "Zq8#vT2!mW9@xL4$pR7&nB5*" + "j" * 20,
    "ALLOWED_HOSTS": "dichvucong.daklak.gov.vn",
}


def tinhso(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tinhso", *args],
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_configuration_page_lists_exactly_the_variables_the_code_reads():
    page = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", page, flags=re.MULTILINE))
    assert documented == set(REGISTRY)


@pytest.mark.slow
def test_production_without_secret_stops_with_one_line(tmp_path):
    result = tinhso(
        "check", TINHSO_MODE="production", ALLOWED_HOSTS="x.gov.vn", TINHSO_VAR_DIR=str(tmp_path)
    )
    assert result.returncode == 2
    assert result.stderr == (
        "tinhso: SECRET_KEY is not set: production mode needs SECRET_KEY "
        "(50 or more random characters)\n"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "why"),
    [("abcde", "5 characters, 5 distinct"), ("ab" * 30, "60 characters, 2 distinct")],
)
def test_production_refuses_a_weak_secret_with_one_line(tmp_path, key, why):
    result = tinhso(
        "check",
        TINHSO_MODE="production",
        ALLOWED_HOSTS="x.gov.vn",
        SECRET_KEY=key,
        TINHSO_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"tinhso: SECRET_KEY is too weak ({why}): production mode needs 50 or more random "
        "characters\n"
    )


@pytest.mark.slow
def test_unreachable_database_stops_with_one_line(tmp_path):
    result = tinhso(
        "migrate", DATABASE_URL="postgres://tinhso@127.0.0.1:1/tinhso", TINHSO_VAR_DIR=str(tmp_path)
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("tinhso: cannot reach the database (")
    assert "set DATABASE_URL" in lines[0]


@pytest.mark.slow
def test_malformed_setting_names_the_variable(tmp_path):
    result = tinhso("check", TINHSO_WORKING_HOURS="7h30 đến 11h30", TINHSO_VAR_DIR=str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("tinhso: TINHSO_WORKING_HOURS: working period")


@pytest.mark.slow
def test_check_deploy_under_production_settings_has_no_warnings(tmp_path):
    result = tinhso(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        TINHSO_VAR_DIR=str(tmp_path),
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


@pytest.mark.slow
def test_embedded_mode_generates_and_keeps_its_secret(tmp_path):
    assert tinhso("check", TINHSO_VAR_DIR=str(tmp_path)).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert tinhso("check", TINHSO_VAR_DIR=str(tmp_path)).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
