"""Fill the pre-summed counters (0003, 0004) on an installation that already has day
counters: every IOC read moved to these tables, and a handler's first delta into an empty
table would start a month at "-1 in progress" (an overdue count below zero) until a full
`tinhso ioc rebuild`. A new installation has no day counters and nothing to do.

This calls the rebuild's summing, which matches the schema as of 0004; a later migration
that changes these tables must freeze the SQL here instead."""

from django.db import migrations


def fill(apps, schema_editor):
    DossierDay = apps.get_model("ioc", "DossierDay")
    if not DossierDay.objects.using(schema_editor.connection.alias).exists():
        return
    from tinhso.ioc.rollups_rebuild import _count_presummed

    _count_presummed(None)


class Migration(migrations.Migration):
    dependencies = [("ioc", "0004_unit_week")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
