"""The ranked full-text index over documents: FTS5 on SQLite, a GIN tsvector on PostgreSQL.

The same shape as the catalogue's (catalogue/migrations/0002): both index folded text (no
diacritics, lower case, đ → d), so the database's tokeniser only splits words.
- SQLite: `documents_document_fts`, an external-content FTS5 table over `subject_key` and
  `search_text`, kept in step by triggers.
- PostgreSQL: a stored generated `search_vector` column, `subject_key` weighted A and
  `search_text` B, with a GIN index. It replaces the pg_trgm index of 0002 (search no longer
  uses LIKE).
Neither is known to the Django model: only `tinhso.documents.queries.search` reads them.
"""

from typing import Any

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE documents_document_fts USING fts5(
        subject_key, search_text, content='documents_document', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
    """CREATE TRIGGER documents_document_fts_ai AFTER INSERT ON documents_document BEGIN
        INSERT INTO documents_document_fts(rowid, subject_key, search_text)
        VALUES (new.id, new.subject_key, new.search_text);
    END""",
    """CREATE TRIGGER documents_document_fts_ad AFTER DELETE ON documents_document BEGIN
        INSERT INTO documents_document_fts(documents_document_fts, rowid, subject_key, search_text)
        VALUES ('delete', old.id, old.subject_key, old.search_text);
    END""",
    """CREATE TRIGGER documents_document_fts_au
        AFTER UPDATE OF subject_key, search_text ON documents_document BEGIN
        INSERT INTO documents_document_fts(documents_document_fts, rowid, subject_key, search_text)
        VALUES ('delete', old.id, old.subject_key, old.search_text);
        INSERT INTO documents_document_fts(rowid, subject_key, search_text)
        VALUES (new.id, new.subject_key, new.search_text);
    END""",
    "INSERT INTO documents_document_fts(documents_document_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS documents_document_fts_au",
    "DROP TRIGGER IF EXISTS documents_document_fts_ad",
    "DROP TRIGGER IF EXISTS documents_document_fts_ai",
    "DROP TABLE IF EXISTS documents_document_fts",
]
POSTGRES_FORWARD = [
    "DROP INDEX IF EXISTS documents_search_text_trgm",
    """ALTER TABLE documents_document ADD COLUMN search_vector tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', coalesce(subject_key, '')), 'A')
            || setweight(to_tsvector('simple', coalesce(search_text, '')), 'B')
        ) STORED""",
    "CREATE INDEX documents_document_fts ON documents_document USING GIN (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS documents_document_fts",
    "ALTER TABLE documents_document DROP COLUMN IF EXISTS search_vector",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS documents_search_text_trgm "
    "ON documents_document USING gin (search_text gin_trgm_ops)",
]


def _run(statements_by_vendor: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("documents", "0005_fill_subject_key")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
