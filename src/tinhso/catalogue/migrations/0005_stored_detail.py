"""Procedure details stored as the JSON bytes sent, with the catalogue generation they were
rendered under: one query per detail, shared by every web worker (issue 12)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0004_catalogue_generation"),
    ]

    operations = [
        migrations.CreateModel(
            name="StoredDetail",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("code", models.CharField(max_length=40, verbose_name="mã thủ tục")),
                ("language", models.CharField(max_length=8, verbose_name="ngôn ngữ")),
                ("prefix", models.CharField(max_length=100, verbose_name="tiền tố địa chỉ")),
                ("token", models.BigIntegerField(verbose_name="thế hệ")),
                ("content", models.BinaryField(verbose_name="nội dung JSON")),
            ],
            options={
                "verbose_name": "chi tiết thủ tục đã dựng",
                "verbose_name_plural": "chi tiết thủ tục đã dựng",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("code", "language", "prefix"), name="catalogue_storeddetail_key"
                    )
                ],
            },
        ),
    ]
