"""Schema: Report.api_client_new, a nullable key to people.ApiClient beside the old one.

Filled by 0004 (data), then 0005 drops the old key and the feedback client tables and
renames this one to api_client.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0002_photo_kind_and_video"),
        ("people", "0003_open311_clients_from_feedback"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="api_client_new",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="people.apiclient",
            ),
        ),
    ]
