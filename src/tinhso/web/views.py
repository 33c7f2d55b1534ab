from dataclasses import replace

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from tinhso.web.display import CONTRASTS, COOKIE, SIZES, display_preferences


def home(request: HttpRequest) -> HttpResponse:
    from tinhso.catalogue import queries as catalogue

    return render(
        request,
        "web/home.html",
        {
            "popular_procedures": catalogue.popular_procedures(8),
            "fields": catalogue.fields_with_procedures(),
        },
    )


def display(request: HttpRequest) -> HttpResponse:
    """Set text size and contrast from a plain link, then go back where the person was."""
    current = display_preferences(request)
    size = request.GET.get("co-chu")
    contrast = request.GET.get("tuong-phan")
    chosen = replace(
        current,
        size=size if size in SIZES else current.size,
        contrast=contrast if contrast in CONTRASTS else current.contrast,
    )
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        COOKIE,
        chosen.cookie_value(),
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response
