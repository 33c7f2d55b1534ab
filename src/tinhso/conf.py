"""Reading configuration from environment variables, and nothing else.

Every variable the platform reads is declared here with `env(...)` and its documentation, so
docs/configuration.md can be checked against the code (tests/core/test_configuration.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import overload


class ConfigurationError(Exception):
    """Start-up must stop: the message says, in one line, what to set."""


@dataclass(frozen=True)
class Variable:
    name: str
    default: str | None
    doc: str


REGISTRY: dict[str, Variable] = {}


@overload
def env(name: str, default: str, *, doc: str) -> str: ...
@overload
def env(name: str, default: None = None, *, doc: str) -> str | None: ...
def env(name: str, default: str | None = None, *, doc: str) -> str | None:
    REGISTRY[name] = Variable(name, default, doc)
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_bool(name: str, default: bool, *, doc: str) -> bool:
    raw = env(name, "true" if default else "false", doc=doc)
    assert raw is not None
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean: set it to true or false")


def env_int(name: str, default: int, *, doc: str) -> int:
    raw = env(name, str(default), doc=doc)
    assert raw is not None
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a whole number") from None


def env_list(name: str, default: str, *, doc: str) -> list[str]:
    raw = env(name, default, doc=doc) or ""
    return [item.strip() for item in raw.split(",") if item.strip()]
