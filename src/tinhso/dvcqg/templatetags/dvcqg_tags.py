"""Where a dossier came from, for the officer's page: the national portal and its code."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def dvcqg_origin(dossier: Any) -> SafeString | str:
    """`· từ Cổng Dịch vụ công quốc gia, mã trên Cổng …` for a dossier filed on the national
    portal; else the client application that submitted it, if any; else nothing."""
    from tinhso.dvcqg.models import InboundDossier

    inbound = InboundDossier.objects.filter(dossier_id=dossier.pk).first()
    if inbound is not None:
        return format_html(
            ' · <span class="tag" id="nguon-dvcqg">{}</span> {} <span class="code">{}</span>',
            _("nộp trên Cổng Dịch vụ công quốc gia"),
            _("mã hồ sơ trên Cổng:"),
            inbound.national_code,
        )
    client = getattr(dossier, "submitted_by_client", None)
    if client is not None:
        return format_html(" · {} {}", _("qua ứng dụng"), client.name)
    return ""
