"""PostgreSQL: the subject's word pairs indexed per year, so the phrase group of a ranked
search is read newest first a year at a time and its first page costs one year's documents,
not the whole archive's (issue 12; `tinhso.documents.queries._YearSteps`).

Decree 30/2020/NĐ-CP registers and numbers documents per year; an archive grows by years, at
about the same yearly volume. Each pair lexeme now begins with the year of `created_at` in
UTC (`'2026 quyet dinh'`), so "the phrase's documents made in 2026" is one index entry, and a
pair still being typed (`'2026 giao th':*`) reads only that year's entries. Each pair is
indexed a second time with the type (`'2026/CV quyet dinh'`), for a search of one type. The
index no longer holds `doc_type` as a column (btree_gin): intersecting with a type's entry
read as many postings as the archive holds of that type (20 ms at 10 M documents).

`timezone('UTC', timestamptz)` and `date_part` on a timestamp are immutable, as a generated
column needs. Both databases get a b-tree on `(created_at, id)`: the years' bounds
(`min`/`max`) and the document list's newest-first order read it.

Replacing a stored generated column rewrites the table: on a large archive run this
migration in a maintenance window (19 minutes for ten million documents here, 2 for one
million).
"""

from typing import Any

from django.db import migrations, models

POSTGRES_FORWARD = [
    # As 0010's documents_subject_pairs, each pair twice: preceded by the year, and by the
    # year and the type (schema-qualified and immutable for the same reasons); the year and
    # the type (5 characters, 20 bytes at most) take up to 27 bytes of the lexeme's 2,046.
    """CREATE FUNCTION documents_year_pairs(
            subject_key text, created_at timestamptz, doc_type text)
        RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
        WITH word AS (
            SELECT u.lexeme, p AS position
            FROM pg_catalog.unnest(pg_catalog.to_tsvector('simple'::regconfig, subject_key)) u,
                 pg_catalog.unnest(u.positions) p
        ), year AS (
            SELECT pg_catalog.date_part('year', pg_catalog.timezone('UTC', created_at))
                ::integer::text AS y
        )
        SELECT pg_catalog.array_to_tsvector(COALESCE(pg_catalog.array_agg(DISTINCT pair.lexeme), '{}'))
        FROM word a JOIN word b ON b.position = a.position + 1, year,
             LATERAL (VALUES (year.y || ' ' || a.lexeme || ' ' || b.lexeme),
                             (year.y || '/' || doc_type || ' ' || a.lexeme || ' ' || b.lexeme))
                 AS pair(lexeme)
        WHERE pg_catalog.octet_length(a.lexeme) + pg_catalog.octet_length(b.lexeme) < 2000
    $$""",
    "DROP INDEX IF EXISTS documents_document_pairs",
    "ALTER TABLE documents_document DROP COLUMN IF EXISTS subject_pairs",
    """ALTER TABLE documents_document ADD COLUMN subject_pairs tsvector GENERATED ALWAYS AS
        (documents_year_pairs(coalesce(subject_key, ''), created_at, doc_type)) STORED""",
    "CREATE INDEX documents_document_pairs ON documents_document USING GIN (subject_pairs)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS documents_document_pairs",
    "ALTER TABLE documents_document DROP COLUMN IF EXISTS subject_pairs",
    """ALTER TABLE documents_document ADD COLUMN subject_pairs tsvector
        GENERATED ALWAYS AS (documents_subject_pairs(coalesce(subject_key, ''))) STORED""",
    "CREATE INDEX documents_document_pairs ON documents_document "
    "USING GIN (doc_type, subject_pairs)",
    "DROP FUNCTION IF EXISTS documents_year_pairs(text, timestamptz, text)",
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
