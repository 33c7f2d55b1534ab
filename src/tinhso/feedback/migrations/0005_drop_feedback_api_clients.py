"""Schema: drop the old Report.api_client (to feedback.ApiClient), rename api_client_new to
api_client, and drop feedback.ApiClient and ApiUsage: Open311 clients are people.ApiClient
(scope `open311.post`) from now on."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("feedback", "0004_fill_report_api_client")]

    operations = [
        migrations.RemoveField(model_name="report", name="api_client"),
        migrations.RenameField(
            model_name="report", old_name="api_client_new", new_name="api_client"
        ),
        migrations.DeleteModel(name="ApiUsage"),
        migrations.DeleteModel(name="ApiClient"),
    ]
