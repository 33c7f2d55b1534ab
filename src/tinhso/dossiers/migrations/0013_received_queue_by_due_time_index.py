"""The dossiers being processed, by due time: an official of several agencies (issue 12).

`dossier_queue (current_agency, state, due_at, id)` gives one agency's queue in order, but
for `current_agency IN (a, b)` PostgreSQL read and sorted every row of both agencies (245 ms
a page at 1,000,000 dossiers). With this partial index it walks the processing dossiers in
due order and stops when the page is full: the rows read depend on the agencies' share of the
work and the page's depth, not on the size of the table.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0012_filer_and_applicant_id_of_existing_dossiers"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX dossier_received_by_due ON dossiers_dossier "
                "(due_at, id, current_agency_id) WHERE state = 'received'"
            ),
            reverse_sql="DROP INDEX dossier_received_by_due",
        ),
    ]
