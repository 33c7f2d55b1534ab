"""Fill `Document.subject_key` (folded number, notation and subject) for existing documents.

Data only; the schema change is 0004. Backwards: nothing to undo (the column goes with 0004).
"""

from typing import Any

from django.db import migrations

from tinhso.core.text import search_key

BATCH = 2_000


def fill(apps: Any, schema_editor: Any) -> None:
    Document = apps.get_model("documents", "Document")
    rows = Document.objects.filter(subject_key="").only("id", "number", "notation", "subject")
    batch = []
    for doc in rows.iterator(chunk_size=BATCH):
        number = f"{doc.number}/{doc.notation}" if doc.number and doc.notation else doc.number
        doc.subject_key = search_key(number, doc.subject)[:5_000]
        batch.append(doc)
        if len(batch) == BATCH:
            Document.objects.bulk_update(batch, ["subject_key"])
            batch = []
    if batch:
        Document.objects.bulk_update(batch, ["subject_key"])


class Migration(migrations.Migration):
    dependencies = [("documents", "0004_review_chain_docx_sources")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
