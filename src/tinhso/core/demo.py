"""The demo loaders of the embedded default, found without naming an app.

The core imports no app (issue 11): each app that has demo data keeps it in `<app>/demo.py`,
and `tinhso demo load` finds those modules through the installed apps, as the worker finds
`handlers.py` and `jobs.py`. A demo module offers
- `load_demo()`: create what is missing, through the app's actions; running it again changes
  nothing;
- optionally `AFTER = ("places", "people")`: the labels of the apps whose demo must be loaded
  before this one;
- optionally `describe(result)`: the lines the command prints about what `load_demo()`
  returned (the demo accounts, for people).

The order is INSTALLED_APPS order, changed only where an `AFTER` asks for it. A module named
`demo` without `load_demo` (this one, for the core) is not a loader.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule


@dataclass(frozen=True)
class Loader:
    """One app's demo: its label, its `demo` module and the labels it loads after."""

    label: str
    module: ModuleType
    after: tuple[str, ...] = ()

    def load(self) -> list[str]:
        """Load this app's demo; the lines to print about it."""
        result = self.module.load_demo()
        describe = getattr(self.module, "describe", None)
        return [str(line) for line in describe(result)] if describe else []


def loaders() -> list[Loader]:
    """Every installed app's demo loader, each after the ones it names in `AFTER`."""
    found = []
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, "demo"):
            continue
        module = import_module(f"{config.name}.demo")
        if callable(getattr(module, "load_demo", None)):
            found.append(Loader(config.label, module, tuple(getattr(module, "AFTER", ()))))
    return in_order(found)


def in_order(found: Iterable[Loader]) -> list[Loader]:
    """`found` (in INSTALLED_APPS order) reordered so that each loader comes after those in its
    `after`: a stable topological sort. An unknown label or a cycle is a configuration error,
    found when the command starts, before anything is written."""
    pending = list(found)
    labels = {loader.label for loader in pending}
    for loader in pending:
        unknown = sorted(set(loader.after) - labels)
        if unknown:
            raise ImproperlyConfigured(
                f"the demo of {loader.label} loads after {', '.join(unknown)}, which has no demo"
            )
    ordered: list[Loader] = []
    placed: set[str] = set()
    while pending:
        ready = next((lo for lo in pending if placed.issuperset(lo.after)), None)
        if ready is None:
            cycle = ", ".join(lo.label for lo in pending)
            raise ImproperlyConfigured(f"the demos of {cycle} wait for each other (AFTER)")
        ordered.append(ready)
        placed.add(ready.label)
        pending.remove(ready)
    return ordered
