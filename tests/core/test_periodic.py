from __future__ import annotations

from tinhso.core import periodic


def test_jobs_run_at_their_interval_and_a_failure_does_not_stop_the_others(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(periodic, "JOBS", {})
    periodic.periodic("a", every_seconds=60)(lambda: calls.append("a"))

    def broken() -> None:
        raise RuntimeError("boom")

    periodic.periodic("b", every_seconds=10)(broken)
    assert periodic.run_due(now=1000.0) == ["a"]
    assert periodic.run_due(now=1030.0) == []
    assert periodic.run_due(now=1061.0) == ["a"]
    assert calls == ["a", "a"]


def test_the_apps_periodic_jobs_are_registered():
    assert periodic.JOBS["feedback.escalate_overdue"].every_seconds == 300
    assert periodic.JOBS["dossiers.remind_apologies"].every_seconds == 900
