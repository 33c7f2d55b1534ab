"""PostgreSQL: the subject's adjacent word pairs, indexed, so the first page of a ranked search
is found without ranking every match (issue 12; `tinhso.documents.queries._ranked`).

The ranking's first group is "the subject holds the query's words as one phrase". A GIN index
over words cannot find a phrase: it returns every document holding all the words (10,000 to
50,000 of a million for two common words) and the phrase is checked row by row. Indexing the
pairs of adjacent subject words as single lexemes (`quyet dinh`, with a space, which no parser
token holds) turns a phrase of n words into n - 1 lexemes looked up directly: a few hundred
documents, all of them holding the pairs, most of them the phrase.

The pairs are taken from the positions of `to_tsvector('simple', subject_key)`, the very
vector whose weight-A positions `search_vector` holds, so "holds the pair" means exactly what
`a:A <-> b:A` means to PostgreSQL's phrase operator. A pair too long for a lexeme (2,046
bytes) is left out; `queries.pairs_query` never asks for one. SQLite (FTS5) is unchanged.
"""

from typing import Any

from django.db import migrations

POSTGRES_FORWARD = [
    # Immutable (a generated column's expression must be): to_tsvector with a named
    # configuration is, and every name is schema-qualified, so no search_path can change it.
    """CREATE FUNCTION documents_subject_pairs(subject_key text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
        WITH word AS (
            SELECT u.lexeme, p AS position
            FROM pg_catalog.unnest(pg_catalog.to_tsvector('simple'::regconfig, subject_key)) u,
                 pg_catalog.unnest(u.positions) p
        )
        SELECT pg_catalog.array_to_tsvector(
            COALESCE(pg_catalog.array_agg(DISTINCT a.lexeme || ' ' || b.lexeme), '{}'))
        FROM word a JOIN word b ON b.position = a.position + 1
        WHERE pg_catalog.octet_length(a.lexeme) + pg_catalog.octet_length(b.lexeme) < 2046
    $$""",
    """ALTER TABLE documents_document ADD COLUMN subject_pairs tsvector
        GENERATED ALWAYS AS (documents_subject_pairs(coalesce(subject_key, ''))) STORED""",
    # With the type (btree_gin, a trusted extension): a typed search reads only the pairs of
    # that type, a fifth of them, and so a fifth of the rows (a GIN index needs no leading
    # column: an untyped search reads the pairs' entries alone).
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE INDEX documents_document_pairs ON documents_document "
    "USING GIN (doc_type, subject_pairs)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS documents_document_pairs",
    "ALTER TABLE documents_document DROP COLUMN IF EXISTS subject_pairs",
    "DROP FUNCTION IF EXISTS documents_subject_pairs(text)",
    # btree_gin stays: dropping it would fail on anything else built on it since.
]


def _run(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("documents", "0009_receive_attempts")]

    operations = [migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD))]
