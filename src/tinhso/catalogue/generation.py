"""The catalogue's generation: which state of the catalogue a cached search answer belongs to.

Legal source: none of its own; it serves the public catalogue of administrative procedures
(Decree 63/2010/NĐ-CP as amended by Decree 92/2017/NĐ-CP; see ``tinhso.catalogue.models``).

One row (``catalogue_generation``, id 1) holds a token. Every catalogue write that can change
what a search answers (publishing, withdrawal, import, the competent agency, popularity) calls
`bump` inside its own transaction, so the new token becomes visible exactly when the write
does, to every web worker, and is rolled back with it. The token is random rather than a
counter, so a rolled-back write, a restored backup or a flushed test database never brings
back a token an older cached answer was stored under. The search reads it once per request
(`current`, a primary-key read) and keys its cached rankings by it.
"""

from __future__ import annotations

import secrets

from django.db import transaction

from tinhso.catalogue.models import Generation
from tinhso.core.prepared import prepared_cursor

ROW = 1


def current() -> int | None:
    """The token now, or None when the row is missing (then nothing may be cached). A
    prepared statement (tinhso.core.prepared): it is every search's first read, and a
    repeated search's only one."""
    with prepared_cursor() as cursor:
        cursor.execute("SELECT token FROM catalogue_generation WHERE id = %s", [ROW])
        row = cursor.fetchone()
    return int(row[0]) if row else None


def bump() -> None:
    """A new token, in the caller's transaction (must be inside one)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("catalogue.generation.bump() must run inside the write's transaction")
    token = secrets.randbits(62)
    if not Generation.objects.filter(pk=ROW).update(token=token):
        Generation.objects.create(pk=ROW, token=token)
