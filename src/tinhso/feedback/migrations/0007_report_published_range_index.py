"""An index on (received_at, id) for Open311's `GET requests.json` ranges (issue 12).

The answer is the newest reports of a date range, `ORDER BY received_at DESC, id DESC`, up to
1,000, and keyset pages continue from a (received_at, id) pair: this index gives both the
range and the order, so the database reads the page's rows in order and stops at the limit
instead of sorting the whole range. Written as SQL without model state: the index serves one
query, whose module (`feedback/queries.py`) names it, and the model stays as it is.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("feedback", "0006_vietnamese_labels_for_admin")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX feedback_report_received_id ON feedback_report (received_at, id)",
            reverse_sql="DROP INDEX feedback_report_received_id",
        )
    ]
