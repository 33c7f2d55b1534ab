"""Data: replace every stored look-up secret by its keyed hash (HMAC-SHA256, SECRET_KEY).

The same computation as `tinhso.dossiers.codes.secret_digest`, copied here so the migration
does not change if that module does. Reversing cannot recover the secrets: it leaves the
hashes and the (empty) clear column, and citizens reissue a secret from their dossier page.
"""

import re

from django.db import migrations
from django.utils.crypto import salted_hmac


def _normalise(value):
    cleaned = re.sub(r"[\s-]", "", value or "").upper()
    return cleaned.translate(str.maketrans("OIL", "011"))


def hash_secrets(apps, schema_editor):
    Dossier = apps.get_model("dossiers", "Dossier")
    rows = Dossier.objects.exclude(lookup_secret="").only("pk", "lookup_secret")
    for dossier in rows.iterator(chunk_size=2000):
        digest = salted_hmac(
            "tinhso.dossiers.lookup_secret",
            _normalise(dossier.lookup_secret),
            algorithm="sha256",
        ).hexdigest()
        Dossier.objects.filter(pk=dossier.pk).update(lookup_secret_hash=digest, lookup_secret="")


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0005_api_clients_and_secret_hash")]

    operations = [migrations.RunPython(hash_secrets, migrations.RunPython.noop)]
