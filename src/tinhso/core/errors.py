"""Typed domain errors: an action refuses with a stable code, never with text to be parsed.

An action that refuses raises a `DomainError` before anything is written. The error carries
- a `Code` the app declared once (`dossiers.not_editable`), whose `Kind` fixes the HTTP
  status: invalid input 422, conflict with the object's state 409, forbidden 403, out of
  reach 404 (one refusal policy: an object the person may not see is "not found", never
  "forbidden", so its existence does not leak);
- a Vietnamese message for the person (the code's own, or a more specific one);
- optionally one message per input field, for forms and for the API's 422.

Nothing decides on an error's text (`"xem" in str(exc)` is what this module replaces; a test
in tests/core/test_error_text.py fails on it). One handler in the API (`tinhso.api.main`) and
one middleware for the pages (`DomainErrorMiddleware`) turn an uncaught error into a
response; a page that shows fields next to their inputs catches the error itself and reads
`exc.fields`.

Each app declares its codes in `<app>/errors.py` with `declare`; a code is declared once in
the whole platform (a duplicate fails at import), so `docs/errors.md` can list them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

ALL = "__all__"  # the key of a message about the whole input, not one field


class Kind(enum.IntEnum):
    """What went wrong, as the HTTP status that says it."""

    INVALID = 422  # the input can be corrected by who sent it
    CONFLICT = 409  # the object's state or turn does not allow this now
    FORBIDDEN = 403  # the person sees the object but holds no role for this action
    NOT_FOUND = 404  # no such object within the person's reach


@dataclass(frozen=True)
class Code:
    """One declared reason for refusing, e.g. `Code("dossiers.not_editable", CONFLICT, ...)`."""

    id: str
    kind: Kind
    message: Any  # a (lazy) Vietnamese text; may hold {name} fields filled by the raiser

    def __call__(
        self,
        message: Any = None,
        *,
        fields: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> DomainError:
        """The error for this code: `raise errors.NOT_EDITABLE()`."""
        return DomainError(self, message, fields=fields, **params)

    def __str__(self) -> str:
        return self.id


_REGISTRY: dict[str, Code] = {}


def declare(app: str, name: str, kind: Kind, message: Any) -> Code:
    """Declare `app.name` once for the whole platform."""
    code_id = f"{app}.{name}"
    if code_id in _REGISTRY:
        raise RuntimeError(f"error code {code_id} declared twice")
    code = Code(code_id, kind, message)
    _REGISTRY[code_id] = code
    return code


def registered() -> dict[str, Code]:
    """Every declared code (after the apps are imported), for docs and tests."""
    return dict(_REGISTRY)


class DomainError(Exception):
    """A refusal. Apps may subclass it (`DossierError`) so callers can catch theirs only."""

    def __init__(
        self,
        code: Code,
        message: Any = None,
        *,
        fields: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> None:
        if not isinstance(code, Code):
            raise TypeError("a DomainError needs a declared Code, not text")
        self.code = code
        text = str(message if message is not None else code.message)
        self.message = text.format(**params) if params else text
        self.fields = {k: str(v) for k, v in (fields or {}).items()}
        super().__init__(self.message)

    @property
    def kind(self) -> Kind:
        return self.code.kind

    @property
    def status(self) -> int:
        return int(self.code.kind)

    @property
    def errors(self) -> dict[str, str]:
        """Field → message, with the whole-input message under "__all__" when there are no
        field messages (what the pages' forms show)."""
        return dict(self.fields) if self.fields else {ALL: self.message}

    def as_json(self) -> dict[str, Any]:
        """The API's body: `code`, `message`, and for invalid input `detail` with one entry
        per field in the shape of the framework's own 422 (`loc`, `field`, `msg`, `type`)."""
        body: dict[str, Any] = {"code": self.code.id, "message": self.message}
        if self.kind is Kind.INVALID:
            problems = self.fields or {ALL: self.message}
            body["detail"] = [
                {
                    "loc": ["body"] if field == ALL else ["body", field],
                    "field": "" if field == ALL else field,
                    "msg": msg,
                    "type": self.code.id,
                }
                for field, msg in problems.items()
            ]
        else:
            body["detail"] = self.message
        return body


def _messages(given: Any) -> list[str]:
    return [str(m) for m in given] if isinstance(given, list | tuple) else [str(given)]


class FieldsRefused(DomainError, ValidationError):  # type: ignore[misc]
    """A refusal with a declared code and one message list per input field ("__all__" for
    the whole input) that is also Django's `ValidationError` (`message_dict`): the apps edited
    through Django forms and the admin (people, catalogue, places) raise it, so a form shows
    it beside its inputs and the API's one handler answers it with its code's status."""

    def __init__(self, code: Code, errors: Mapping[str, Any] | None = None) -> None:
        given = {field: _messages(msgs) for field, msgs in (errors or {ALL: code.message}).items()}
        ValidationError.__init__(self, given)  # error_dict, message_dict: what forms read
        # DomainError's attributes, set here: its __init__ would run ValidationError's
        # one-message __init__ next (the MRO), which replaces `code` with a string
        self.code = code
        self.fields = {field: " ".join(msgs) for field, msgs in given.items()}
        texts = list(self.fields.values())
        self.message = texts[0] if len(texts) == 1 else str(code.message)
        self.params = None
        self.args = (self.message,)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.code, self.message_dict))
