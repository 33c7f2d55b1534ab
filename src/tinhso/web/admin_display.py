"""Admin columns in Vietnamese where Django writes English.

Django's admin shows a boolean column as an icon whose alternative text is Python's
`True`/`False`/`None`, which screen readers read out in English; `yes_no` gives the same
icon with "Có"/"Không"/"Không rõ".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db import models
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

_ICONS = {True: "yes", False: "no", None: "unknown"}


def yes_no(model: type[models.Model], field: str) -> Callable[[Any], SafeString]:
    """A list_display column for a boolean field, labelled and sortable like the field."""

    label = model._meta.get_field(field)
    assert isinstance(label, models.Field)

    @admin.display(description=label.verbose_name, ordering=field)
    def column(obj: Any) -> SafeString:
        value = getattr(obj, field)
        text = {True: _("Có"), False: _("Không"), None: _("Không rõ")}[value]
        return format_html(
            '<img src="{}" alt="{}">', static(f"admin/img/icon-{_ICONS[value]}.svg"), text
        )

    column.__name__ = field
    return column
