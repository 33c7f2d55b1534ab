"""The phrase group of a ranked search is read newest first, a year at a time (issue 12;
`tinhso.documents.queries._YearSteps`), so its first page costs one year's documents, not the
whole archive's.

Decree 30/2020/NĐ-CP registers and numbers documents per year; an archive grows by years, at
about the same yearly volume. PostgreSQL gets `created_year`, the year of `created_at` in UTC
(a stored generated column: `timezone('UTC', …)` and `extract` on a timestamp are immutable),
and the word-pair index takes it as its second column, so "the phrase's documents of this
type in 2026" is one GIN lookup. Both databases get a b-tree on `(created_at, id)`: the year
range's bounds (`min`/`max`) and the document list's newest-first order read it.

Adding a stored generated column rewrites the table: on a large archive run this migration in
a maintenance window (about a minute per million documents here).
"""

from typing import Any

from django.db import migrations, models

POSTGRES_FORWARD = [
    """ALTER TABLE documents_document ADD COLUMN created_year integer
        GENERATED ALWAYS AS (extract(year FROM (created_at AT TIME ZONE 'UTC'))::integer) STORED""",
    "DROP INDEX IF EXISTS documents_document_pairs",
    "CREATE INDEX documents_document_pairs ON documents_document "
    "USING GIN (doc_type, created_year, subject_pairs)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS documents_document_pairs",
    "ALTER TABLE documents_document DROP COLUMN IF EXISTS created_year",
    "CREATE INDEX documents_document_pairs ON documents_document "
    "USING GIN (doc_type, subject_pairs)",
]


def _run(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("documents", "0010_subject_word_pairs")]

    operations = [
        migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD)),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["created_at", "id"], name="documents_created"),
        ),
    ]
