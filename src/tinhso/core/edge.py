"""The edge: malformed input is refused before any view or database sees it.

Control characters have no place in a path, a query, a form field or a JSON string that
people or client systems send (only tab, line feed and carriage return occur in text);
PostgreSQL refuses NUL outright, so letting one through turns a typo or a probe into a 500.
A multipart body the parser cannot read (no boundary) or that is cut off before its close
delimiter is refused the same way.
Pages get the site's Vietnamese 400 page; the API gets a typed 400 with a Vietnamese message
and the place of the offending value. Uploaded file contents are not inspected here: each
upload path sniffs and bounds its files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import get_resolver
from django.utils.translation import gettext as _

# C0 controls but tab, LF and CR; DEL; C1 controls. Also lone surrogates, which cannot be
# stored as UTF-8.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# What an ASCII string may hold: printable ASCII, tab, LF and CR. Deleting these bytes
# (`bytes.translate`) leaves exactly what CONTROL would find in it, at a tenth of the
# pattern's cost per character: on a 270 KB base64 attachment the pattern was a millisecond,
# a tenth of the submission's CPU (issue 12).
_ASCII_ALLOWED = bytes(range(0x20, 0x7F)) + b"\t\n\r"


def has_control(text: str) -> bool:
    """Whether CONTROL occurs in `text`."""
    if text.isascii():  # O(1) in CPython: the string's own flag
        return bool(text.encode("ascii").translate(None, _ASCII_ALLOWED))
    return CONTROL.search(text) is not None


class MalformedInput(Exception):
    """Input no view should receive; `where` names the place for the API's answer."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", str(key)
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


class _Tail:
    """The last bytes of a multipart body as the parser reads it, to see its close delimiter
    (`--boundary--`). Django's parser takes a body cut off after some parts as those parts:
    a form half sent would be a form half saved."""

    KEEP = 4096

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.last = b""

    @classmethod
    def watch(cls, request: HttpRequest) -> _Tail:
        tail = cls(getattr(request, "_stream", None))
        if not hasattr(request, "_body") and tail.stream is not None:
            request._stream = tail  # type: ignore[assignment]
        return tail

    def read(self, *args: Any) -> bytes:
        data = self.stream.read(*args)
        self.last = (self.last + data)[-self.KEEP :]
        return data

    def readline(self, *args: Any) -> bytes:
        data = self.stream.readline(*args)
        self.last = (self.last + data)[-self.KEEP :]
        return data

    def closed(self, request: HttpRequest) -> bool:
        boundary = (request.content_params or {}).get("boundary", "").encode()
        seen = request.body[-self.KEEP :] if hasattr(request, "_body") else self.last
        return bool(boundary) and b"--" + boundary + b"--" in seen


def inspect(request: HttpRequest) -> None:
    """Raise MalformedInput for the first control character in what the request carries."""
    if CONTROL.search(request.path):
        raise MalformedInput("path")
    for key, values in request.GET.lists():
        if CONTROL.search(key) or any(CONTROL.search(v) for v in values):
            raise MalformedInput(f"query.{key}")
    if request.method not in {"POST", "PUT", "PATCH", "DELETE"}:
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise MalformedInput("headers.Content-Length") from None
    if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return  # too large to read here: the view refuses it with its own 413 and message
    kind = request.content_type or ""
    if kind in {"multipart/form-data", "application/x-www-form-urlencoded"}:
        if request.path.startswith("/api/"):
            # Reading the form consumes the stream; an API operation that takes JSON reads
            # `request.body` after us, which Django refuses once the stream is gone (the
            # probe's 500 on multipart sent to a JSON endpoint). Keep the body for it: the
            # length is bounded above, and the API's uploads are an official's few files.
            _ = request.body
        tail = _Tail.watch(request) if kind == "multipart/form-data" and length else None
        try:
            form = request.POST
            names = list(request.FILES.keys())
        except MultiPartParserError:
            raise MalformedInput("body") from None
        if tail is not None and not tail.closed(request):
            raise MalformedInput("body")  # cut off: the parts before the cut are not the form
        for key, values in form.lists():
            if has_control(key) or any(has_control(v) for v in values):
                raise MalformedInput(f"body.{key}")
        for name in names:
            if any(CONTROL.search(f.name or "") for f in request.FILES.getlist(name)):
                raise MalformedInput(f"body.{name}")
    elif kind == "application/json" or kind.endswith("+json"):
        try:
            document = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return  # the API answers malformed JSON itself, field by field
        for where, text in _strings(document, "body"):
            if has_control(text):
                raise MalformedInput(where)


class RefuseMalformedInputMiddleware:
    """Answers 400 to a request carrying control characters or an unreadable body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            inspect(request)
        except MalformedInput as refused:
            return self.refuse(request, refused.where)
        except (RequestDataTooBig, SuspiciousOperation):
            # Too many fields or a body larger than announced: Django's own 400 handling.
            raise
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest, where: str) -> HttpResponse:
        message = _("Dữ liệu gửi lên có ký tự điều khiển hoặc không đúng định dạng.")
        if request.path.startswith("/api/") or request.path.startswith("/open311/"):
            return JsonResponse(
                {"detail": message, "code": "malformed_input", "loc": where.split(".")},
                status=400,
            )
        handler = cast(Callable[..., HttpResponse], get_resolver().resolve_error_handler(400))
        return handler(request, SuspiciousOperation(message))
