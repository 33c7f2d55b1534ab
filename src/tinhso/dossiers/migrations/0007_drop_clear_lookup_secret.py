"""Schema: the clear look-up secret column goes (its hash is kept since 0006)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0006_hash_lookup_secrets")]

    operations = [migrations.RemoveField(model_name="dossier", name="lookup_secret")]
