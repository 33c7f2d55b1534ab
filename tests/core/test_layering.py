"""The core is the shared kernel: it imports no app (issue 11). The apps build on it, and the
core finds what they offer (outbox handlers, periodic jobs, demo loaders, error codes) by
module name, never by importing them itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tinhso.core import demo

SRC = Path(__file__).resolve().parents[2] / "src" / "tinhso"
CORE = SRC / "core"
# every package beside the core (places, people, ..., api, web); modules such as tinhso.celery
# and tinhso.conf are the process's plumbing, not apps
APPS = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()} - {"core"}


def imported_apps(source: str) -> list[tuple[int, str]]:
    """(line, app) for every import of a tinhso package other than the core, at any depth
    (inside functions too: that is how the demo command imported every app)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "tinhso":
                names = [f"tinhso.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "tinhso" and len(parts) > 1 and parts[1] in APPS:
                found.append((node.lineno, parts[1]))
    return found


def test_the_check_finds_imports_of_apps():
    source = """
import tinhso.dossiers.models
from tinhso import people, core
from tinhso.core import context
from tinhso.celery import app
def f():
    from tinhso.feedback import demo
"""
    assert imported_apps(source) == [(2, "dossiers"), (3, "people"), (7, "feedback")]


def test_the_core_imports_no_app():
    assert {"dossiers", "documents", "feedback", "people", "places", "catalogue"} <= APPS
    offenders = [
        f"{path.relative_to(SRC.parent)}:{line} imports tinhso.{app}"
        for path in sorted(CORE.rglob("*.py"))
        for line, app in imported_apps(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_each_app_offers_its_demo_and_they_load_after_what_they_build_on():
    order = [loader.label for loader in demo.loaders()]
    assert order == [
        "places",
        "people",
        "catalogue",
        "dossiers",
        "documents",
        "feedback",
        "payments",
    ]
    for loader in demo.loaders():
        assert all(order.index(first) < order.index(loader.label) for first in loader.after)
    # the core's own demo module (the discovery) is not a loader
    assert "core" not in order


def _loader(label, *after):
    return demo.Loader(label, module=demo, after=after)


def test_order_moves_a_loader_only_as_far_as_after_asks():
    found = [_loader("a", "c"), _loader("b"), _loader("c"), _loader("d", "a")]
    assert [lo.label for lo in demo.in_order(found)] == ["b", "c", "a", "d"]


def test_an_unknown_or_circular_after_is_refused_before_anything_loads():
    with pytest.raises(ImproperlyConfigured, match="x, which has no demo"):
        demo.in_order([_loader("a", "x")])
    with pytest.raises(ImproperlyConfigured, match="a, b wait for each other"):
        demo.in_order([_loader("a", "b"), _loader("b", "a"), _loader("c")])
