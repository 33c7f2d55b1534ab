"""Schema: dossiers submitted by client applications, idempotency keys per client, and the
column for the look-up secret's hash (filled by 0006, the clear column dropped by 0007)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0004_apology_reminders"),
        ("people", "0002_api_clients"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="idempotencykey",
            name="idempotency_key_per_owner",
        ),
        migrations.AddField(
            model_name="dossier",
            name="lookup_secret_hash",
            field=models.CharField(blank=True, max_length=64, verbose_name="mã tra cứu (băm)"),
        ),
        migrations.AddField(
            model_name="dossier",
            name="submitted_by_client",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="dossiers",
                to="people.apiclient",
                verbose_name="ứng dụng kết nối đã nộp",
            ),
        ),
        migrations.AddField(
            model_name="idempotencykey",
            name="client",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="people.apiclient",
            ),
        ),
        migrations.AlterField(
            model_name="idempotencykey",
            name="owner",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="idempotencykey",
            constraint=models.UniqueConstraint(
                condition=models.Q(("client__isnull", True)),
                fields=("owner", "key"),
                name="idempotency_key_per_owner",
            ),
        ),
        migrations.AddConstraint(
            model_name="idempotencykey",
            constraint=models.UniqueConstraint(
                condition=models.Q(("client__isnull", False)),
                fields=("client", "key"),
                name="idempotency_key_per_client",
            ),
        ),
        migrations.AddConstraint(
            model_name="idempotencykey",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("client__isnull", False), ("owner__isnull", True)),
                    models.Q(("client__isnull", True), ("owner__isnull", False)),
                    _connector="OR",
                ),
                name="idempotency_key_owner_or_client",
            ),
        ),
    ]
