"""The full-text index over procedures: FTS5 on SQLite, a GIN tsvector index on PostgreSQL.

Both index the folded keys (no diacritics, lower case), so the database's own tokeniser only
splits on spaces. On SQLite the FTS5 table is an external-content table kept in step with
``catalogue_procedure`` by triggers; on PostgreSQL a stored generated ``search_vector`` column
(name weighted A, the rest B) carries a GIN index. Neither is known to the Django model: only
``tinhso.catalogue.search`` reads them, with raw SQL.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE catalogue_procedure_fts USING fts5(
        name_key, search_key, content='catalogue_procedure', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
    """CREATE TRIGGER catalogue_procedure_fts_ai AFTER INSERT ON catalogue_procedure BEGIN
        INSERT INTO catalogue_procedure_fts(rowid, name_key, search_key)
        VALUES (new.id, new.name_key, new.search_key);
    END""",
    """CREATE TRIGGER catalogue_procedure_fts_ad AFTER DELETE ON catalogue_procedure BEGIN
        INSERT INTO catalogue_procedure_fts(catalogue_procedure_fts, rowid, name_key, search_key)
        VALUES ('delete', old.id, old.name_key, old.search_key);
    END""",
    """CREATE TRIGGER catalogue_procedure_fts_au AFTER UPDATE ON catalogue_procedure BEGIN
        INSERT INTO catalogue_procedure_fts(catalogue_procedure_fts, rowid, name_key, search_key)
        VALUES ('delete', old.id, old.name_key, old.search_key);
        INSERT INTO catalogue_procedure_fts(rowid, name_key, search_key)
        VALUES (new.id, new.name_key, new.search_key);
    END""",
    "INSERT INTO catalogue_procedure_fts(catalogue_procedure_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS catalogue_procedure_fts_au",
    "DROP TRIGGER IF EXISTS catalogue_procedure_fts_ad",
    "DROP TRIGGER IF EXISTS catalogue_procedure_fts_ai",
    "DROP TABLE IF EXISTS catalogue_procedure_fts",
]
POSTGRES_FORWARD = [
    """ALTER TABLE catalogue_procedure ADD COLUMN search_vector tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', coalesce(name_key, '')), 'A')
            || setweight(to_tsvector('simple', coalesce(search_key, '')), 'B')
        ) STORED""",
    "CREATE INDEX catalogue_procedure_fts ON catalogue_procedure USING GIN (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS catalogue_procedure_fts",
    "ALTER TABLE catalogue_procedure DROP COLUMN IF EXISTS search_vector",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_procedures_versions_components")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
