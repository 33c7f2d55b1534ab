"""A trigram index on the folded search text, on PostgreSQL only (SQLite has none).

`queries.search` filters with `search_text LIKE '%word%'`; pg_trgm's GIN index serves those
filters instead of a scan of every document.
"""

from typing import Any

from django.db import migrations


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS documents_search_text_trgm "
        "ON documents_document USING gin (search_text gin_trgm_ops)"
    )


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS documents_search_text_trgm")


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_registers_documents_exchange")]

    operations = [migrations.RunPython(create, drop)]
