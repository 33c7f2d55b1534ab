"""Public pages of the catalogue: search and the procedure page (everything a citizen must
know before starting: Decree 63/2010/NĐ-CP Art. 8 lists it; Decree 42/2022/NĐ-CP asks that
online services show their type and channels).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tinhso.catalogue import queries
from tinhso.catalogue.components import sort_components
from tinhso.catalogue.models import ProcedureVersion
from tinhso.catalogue.search import plain_words
from tinhso.catalogue.templatetags.catalogue_tags import public_note
from tinhso.core.text import normalize

PAGE_SIZE = 20
LEVEL_CHOICES = (("commune", gettext_lazy("Cấp xã")), ("province", gettext_lazy("Cấp tỉnh")))


def _int(value: str | None, default: int, *, low: int, high: int) -> int:
    try:
        return min(max(int(value or default), low), high)
    except ValueError:
        return default


def search_page(request: HttpRequest) -> HttpResponse:
    q = normalize(request.GET.get("q", ""))[:200]
    field = request.GET.get("field") or None
    level = request.GET.get("level") or None
    online_type = request.GET.get("online_type") or None
    if level not in dict(LEVEL_CHOICES):
        level = None
    if online_type not in ProcedureVersion.OnlineType.values:
        online_type = None
    page_number = _int(request.GET.get("page"), 1, low=1, high=500)
    if q and not plain_words(q):  # only punctuation typed: nothing to look for
        page = queries.SearchPage(items=[], count=0, corrected="")
    else:
        page = queries.search(
            q,
            field=field,
            level=level,
            online_type=online_type,
            limit=PAGE_SIZE,
            offset=(page_number - 1) * PAGE_SIZE,
        )
    pages = max((page.count + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    params = request.GET.copy()
    params.pop("page", None)
    context: dict[str, Any] = {
        "q": q,
        "page": page,
        "fields": queries.fields_with_procedures(),
        "selected": {"field": field or "", "level": level or "", "online_type": online_type or ""},
        "levels": LEVEL_CHOICES,
        "online_types": ProcedureVersion.OnlineType.choices,
        "page_number": page_number,
        "pages": pages,
        "base_query": params.urlencode(),
    }
    return render(request, "catalogue/search.html", context)


def procedure_page(request: HttpRequest, code: str) -> HttpResponse:
    try:
        version = queries.published_version(code)
    except ProcedureVersion.DoesNotExist:
        raise Http404(_("Không có thủ tục này.")) from None
    procedure = version.procedure
    components = list(version.components.all())
    groups: list[tuple[str, list[Any]]] = []
    for component in components:
        if not groups or groups[-1][0] != component.group:
            groups.append((component.group, []))
        groups[-1][1].append(component)
    try:
        start_url = reverse("dossiers:start", args=[procedure.code])
    except NoReverseMatch:
        start_url = ""
    public_fees = [
        {**fee, "note": public_note(fee.get("note") or "")} for fee in version.fees or []
    ]
    context = {
        "procedure": procedure,
        "version": version,
        "component_groups": groups,
        "sorted": sort_components(components),
        "public_fees": public_fees,
        "paid_fees": [fee for fee in public_fees if int(fee.get("amount") or 0) > 0],
        "start_url": start_url if version.accepts_online() else "",
        "competent": queries.competent_agency_label(procedure),
        "legal_lines": [line for line in version.legal_basis.splitlines() if line],
    }
    return render(request, "catalogue/procedure.html", context)
