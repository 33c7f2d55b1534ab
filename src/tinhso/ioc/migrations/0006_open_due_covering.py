"""The open facts' index by appointment covers what the overview counts of the dossiers due
ahead (open_since, commune, reception day, requests): on PostgreSQL that count becomes an
index-only range (`queries.open_figures`). An index only: no rollup table changes, nothing to
rebuild. SQLite ignores INCLUDE (the same index as before)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ioc", "0005_fill_presummed_counters"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="dossierfact",
            name="ioc_fact_open_due",
        ),
        migrations.AddIndex(
            model_name="dossierfact",
            index=models.Index(
                condition=models.Q(("counted", True), ("end_at__isnull", True)),
                fields=["agency_id", "appointment_at"],
                include=("open_since", "commune_id", "received_on", "requests"),
                name="ioc_fact_open_due",
            ),
        ),
    ]
