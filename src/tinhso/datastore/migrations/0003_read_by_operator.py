"""A read with no account behind it (an operator's `tinhso datastore export`) is recorded
with a label naming the reader: `official` becomes optional, `actor_label` is added, and a
check keeps every read naming one of the two. Reversible while no read lacks an official."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("datastore", "0002_seed_document_kinds"),
        ("places", "0003_vietnamese_labels_for_admin"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="storeddocumentread",
            name="actor_label",
            field=models.CharField(
                blank=True, max_length=200, verbose_name="người xem (không có tài khoản)"
            ),
        ),
        migrations.AlterField(
            model_name="storeddocumentread",
            name="official",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="cán bộ",
            ),
        ),
        migrations.AddConstraint(
            model_name="storeddocumentread",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("official__isnull", False),
                    models.Q(("actor_label", ""), _negated=True),
                    _connector="OR",
                ),
                name="datastore_read_names_its_reader",
            ),
        ),
    ]
