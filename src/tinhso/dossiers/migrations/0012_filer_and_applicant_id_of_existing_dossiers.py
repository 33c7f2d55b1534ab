"""Existing dossiers were all filed by their owner for themselves (there was no filing on
behalf): the owner's account is recorded as the filer where the owner submitted (portal or
the owner's own API session), and the applicant's personal ID is the owner's where the owner
has a citizen record. Dossiers of a client application or of the counter keep no filer
account (the client, or the officer's intake, is recorded elsewhere)."""

from django.db import migrations


def record_filer(apps, schema_editor):
    Dossier = apps.get_model("dossiers", "Dossier")
    Citizen = apps.get_model("people", "Citizen")
    by_owner = dict(
        Citizen.objects.filter(user__isnull=False).values_list("user_id", "personal_id")
    )
    for dossier in Dossier.objects.only(
        "pk", "owner_id", "channel", "submitted_by_client_id", "applicant_name"
    ).iterator():
        changed = []
        if dossier.channel in ("web", "api") and dossier.submitted_by_client_id is None:
            dossier.filed_by_id = dossier.owner_id
            dossier.filer_name = dossier.applicant_name
            changed += ["filed_by", "filer_name"]
        number = by_owner.get(dossier.owner_id)
        if number:
            dossier.applicant_personal_id = number
            changed.append("applicant_personal_id")
        if changed:
            dossier.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0011_on_behalf_filing"),
        ("people", "0001_initial"),
    ]

    operations = [migrations.RunPython(record_filer, migrations.RunPython.noop)]
