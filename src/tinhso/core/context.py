"""Who is acting and from where, for the audit trail, without threading it through every call.

The middleware sets it per request; commands and workers set it with `acting_as`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    client_address: str = ""
    channel: str = "system"  # web, api, admin, command, worker
    actor: Any = None


_NOBODY = RequestContext()
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "tinhso_request_context", default=None
)


def current() -> RequestContext:
    return _current.get() or _NOBODY


@contextmanager
def acting_as(
    actor: Any = None, *, channel: str = "command", client_address: str = ""
) -> Iterator[None]:
    token = _current.set(
        RequestContext(client_address=client_address, channel=channel, actor=actor)
    )
    try:
        yield
    finally:
        _current.reset(token)
