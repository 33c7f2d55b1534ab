"""Data: notifications already delivered lose their address and text (look-up secrets and
one-time codes were kept in clear there); from now on delivery erases them."""

from django.db import migrations

PERSONAL = ("to", "subject", "body", "data")
ERASED = "[đã xoá sau khi gửi]"


def erase(apps, schema_editor):
    OutboxMessage = apps.get_model("core", "OutboxMessage")
    delivered = OutboxMessage.objects.filter(topic="notify", state="delivered")
    for message in delivered.iterator():
        message.payload = {
            key: ERASED if key in PERSONAL else value for key, value in message.payload.items()
        }
        message.save(update_fields=["payload"])


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]

    operations = [migrations.RunPython(erase, migrations.RunPython.noop)]
