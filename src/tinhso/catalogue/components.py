"""Sorting a procedure's dossier components (thành phần hồ sơ) for people to read.

The national database's records mix documents with legal notes: a record's "components" are
often the lines of its text, so "Lưu ý" paragraphs and "Trường hợp … thì không phải nộp"
sentences arrive as optional components with no original and no copy to hand in. A citizen
uploading files, or reading the procedure page, needs the documents first (required ones at
the top, each marked required or optional) and the notes folded away. Pure: no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tinhso.core.text import fold

_NOTE_GROUPS = ("luu y", "ghi chu")


def is_note(component: Any) -> bool:
    """A legal note rather than a document: optional, and either filed under "Lưu ý" or
    asking for neither an original nor a copy."""
    if component.required:
        return False
    group = fold(component.group or "").lstrip("*-+ :")
    if group.startswith(_NOTE_GROUPS):
        return True
    return not component.originals and not component.copies


@dataclass
class Sorted:
    required: list[Any] = field(default_factory=list)
    optional: list[Any] = field(default_factory=list)
    notes: list[Any] = field(default_factory=list)


def sort_components(components: Iterable[Any]) -> Sorted:
    """Required documents, optional documents, notes; each in the catalogue's order."""
    result = Sorted()
    for component in components:
        if component.required:
            result.required.append(component)
        elif is_note(component):
            result.notes.append(component)
        else:
            result.optional.append(component)
    return result
