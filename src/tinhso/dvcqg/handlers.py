"""Outbox handlers of the national portal sync (registered on import by core's apps)."""

from tinhso.dvcqg import sync  # noqa: F401
