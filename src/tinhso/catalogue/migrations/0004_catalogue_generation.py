"""The catalogue's generation: one row whose token changes with every write that can change a
search's answer; cached search rankings are keyed by it (issue 12)."""

import secrets

from django.db import migrations, models


def first_row(apps, schema_editor):
    apps.get_model("catalogue", "Generation").objects.create(id=1, token=secrets.randbits(62))


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0003_vietnamese_labels_for_admin"),
    ]

    operations = [
        migrations.CreateModel(
            name="Generation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.BigIntegerField(default=0, verbose_name="thế hệ")),
            ],
            options={
                "verbose_name": "thế hệ danh mục",
                "verbose_name_plural": "thế hệ danh mục",
            },
        ),
        migrations.RunPython(first_row, migrations.RunPython.noop),
    ]
