"""The administration's autocomplete widget, made safe for values that are not keys.

Django's `AutocompleteMixin.optgroups` re-renders a refused form by filtering the related
table with the submitted values as they came: a value that is not a number for an integer
key raises ValueError in the query and the page answers 500 instead of showing the form's
errors (found by the hostile-input sweep of the admin's forms, security issue 17). The values
the key field cannot read are dropped before the query; the form's own validation has already
refused them with its message.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.widgets import AutocompleteMixin
from django.core.exceptions import ValidationError

_original_optgroups = AutocompleteMixin.optgroups


def _readable(widget: AutocompleteMixin, values: Any) -> list[Any]:
    field = widget.field.remote_field.model._meta.get_field(widget.field.remote_field.field_name)
    kept = []
    for value in values or []:
        try:
            field.to_python(value)
        except (ValidationError, ValueError, TypeError):
            continue
        kept.append(value)
    return kept


def _safe_optgroups(self: AutocompleteMixin, name: str, value: Any, attr: Any = None) -> Any:
    return _original_optgroups(self, name, _readable(self, value), attr)


def install() -> None:
    """Called once from the web app's `ready()`."""
    if AutocompleteMixin.optgroups is not _safe_optgroups:
        AutocompleteMixin.optgroups = _safe_optgroups  # type: ignore[method-assign]
