"""The pages' middleware: the chosen language, and domain errors turned into responses.

Language: Vietnamese unless the person chose English.

Django's LocaleMiddleware also follows the browser's Accept-Language; many Vietnamese phones
and office computers report en-US, and a citizen who never asked for English would get it.
So only an explicit choice (the language cookie set by /i18n/setlang/) changes the language.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from tinhso.core.errors import DomainError, Kind


class ChosenLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.available = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class DomainErrorMiddleware:
    """The pages' one handler of `tinhso.core.errors.DomainError` a view did not catch
    (and of Django's bare 405, which browsers show as their own English page).

    Out of reach (404) and forbidden (403) render the site's error pages. A refused form
    (409, 422) sent from one of our pages goes back to that page with the message on top,
    so nothing the person sees is lost; without such a page, the error page with the
    message and the status. The API has its own handler (`tinhso.api.main`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and not response.content
            and not request.path.startswith("/api/")
        ):
            # Django's bare 405 (an action's address opened with GET): a page in words
            from tinhso.web import views

            page = views.method_not_allowed(request)
            if "Allow" in response:
                page["Allow"] = response["Allow"]
            return page
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, DomainError) or request.path.startswith("/api/"):
            return None
        from tinhso.web import views

        if exc.kind is Kind.NOT_FOUND:
            return views.page_not_found(request, exc)
        if exc.kind is Kind.FORBIDDEN:
            return views.permission_denied(request, exc)
        back = request.META.get("HTTP_REFERER", "")
        if request.method == "POST" and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            for message in exc.errors.values():
                messages.error(request, message)
            return HttpResponseRedirect(back, status=303)
        return views.refused(request, exc)
