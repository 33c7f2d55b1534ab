"""Data: the Open311 client applications (feedback.ApiClient) become people.ApiClient rows.

One registry of client applications: each Open311 client keeps its key hash (the same SHA-256
hex, so the `o311_…` keys already handed out keep working), prefix, rate limit, state and
dates, and gets the scope `open311.post`. A name already used by another client gets
" (Open311)". A client whose key hash is already here is reused (the scope is added), so the
copy can run again without doubling rows. feedback's schema migrations then point
Report.api_client at these rows and drop the old tables.

Reverse: nothing to undo here (the copies stay; feedback's reverse migration rebuilds its own
rows from them).
"""

from typing import Any

from django.db import migrations

SCOPE = "open311.post"
SUFFIX = " (Open311)"


def free_name(ApiClient: Any, name: str) -> str:
    if not ApiClient.objects.filter(name=name).exists():
        return name
    candidate = name[: 200 - len(SUFFIX)] + SUFFIX
    n = 2
    while ApiClient.objects.filter(name=candidate).exists():
        tail = f"{SUFFIX[:-1]} {n})"
        candidate = name[: 200 - len(tail)] + tail
        n += 1
    return candidate


def copy_open311_clients(apps: Any, schema_editor: Any) -> None:
    Old = apps.get_model("feedback", "ApiClient")
    ApiClient = apps.get_model("people", "ApiClient")
    for old in Old.objects.order_by("pk"):
        client = ApiClient.objects.filter(key_hash=old.key_hash).first()
        if client is not None:
            if SCOPE not in (client.scopes or []):
                client.scopes = sorted({*(client.scopes or []), SCOPE})
                client.save(update_fields=["scopes"])
            continue
        client = ApiClient.objects.create(
            name=free_name(ApiClient, old.name),
            key_prefix=old.key_prefix,
            key_hash=old.key_hash,
            scopes=[SCOPE],
            requests_per_minute=old.requests_per_minute,
            is_active=old.is_active,
            revoked_at=old.revoked_at,
        )
        # created_at is auto_now_add: set the original date after the insert.
        ApiClient.objects.filter(pk=client.pk).update(created_at=old.created_at)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_api_clients"),
        ("feedback", "0002_photo_kind_and_video"),
    ]

    operations = [migrations.RunPython(copy_open311_clients, migrations.RunPython.noop)]
