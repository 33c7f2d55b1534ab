"""Data: each Open311 report names the people.ApiClient that people's 0003 copied from its
feedback.ApiClient (matched by key hash, which the copy keeps).

Reverse: rebuild feedback.ApiClient rows from the people clients the reports name and from
every client holding the `open311.post` scope (same hash, prefix, limit, state), and point
the old key at them.
"""

from typing import Any

from django.db import migrations

SCOPE = "open311.post"


def fill(apps: Any, schema_editor: Any) -> None:
    Old = apps.get_model("feedback", "ApiClient")
    ApiClient = apps.get_model("people", "ApiClient")
    Report = apps.get_model("feedback", "Report")
    by_hash = dict(
        ApiClient.objects.filter(key_hash__in=Old.objects.values("key_hash")).values_list(
            "key_hash", "pk"
        )
    )
    for old_pk, key_hash in Old.objects.values_list("pk", "key_hash"):
        Report.objects.filter(api_client_id=old_pk).update(api_client_new_id=by_hash[key_hash])


def unfill(apps: Any, schema_editor: Any) -> None:
    Old = apps.get_model("feedback", "ApiClient")
    ApiClient = apps.get_model("people", "ApiClient")
    Report = apps.get_model("feedback", "Report")
    used = set(
        Report.objects.filter(api_client_new__isnull=False).values_list(
            "api_client_new_id", flat=True
        )
    )
    for client in ApiClient.objects.order_by("pk"):
        if client.pk not in used and SCOPE not in (client.scopes or []):
            continue
        old = Old.objects.filter(key_hash=client.key_hash).first()
        if old is None:
            old = Old.objects.create(
                name=client.name,
                key_prefix=client.key_prefix,
                key_hash=client.key_hash,
                requests_per_minute=client.requests_per_minute,
                is_active=client.is_active,
                revoked_at=client.revoked_at,
            )
            Old.objects.filter(pk=old.pk).update(created_at=client.created_at)
        Report.objects.filter(api_client_new_id=client.pk).update(api_client_id=old.pk)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0003_report_api_client_people")]

    operations = [migrations.RunPython(fill, unfill)]
