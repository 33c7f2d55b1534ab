from typing import Any

from django.conf import settings
from django.http import HttpRequest

from tinhso.web.display import display_preferences

IOC_MENU_KEY = "tinhso_menu_ioc"


def platform(request: HttpRequest) -> dict[str, Any]:
    from tinhso.places.queries import home_province_name

    display = display_preferences(request)
    user = getattr(request, "user", None)
    is_official = bool(user and user.is_authenticated and user.kind == "official")
    return {
        "is_official": is_official,
        # set at sign-in (`people.views.remember_menu`): the session is already loaded for a
        # signed-in user, so the menu costs no query; the pages still check access themselves
        "may_use_ioc": is_official and bool(request.session.get(IOC_MENU_KEY)),
        "province_name": home_province_name(),
        "site_url": settings.SITE_URL,
        "display": display,
        "display_classes": display.css_classes,
        # Each language by its own name (settings.LANGUAGES), untranslated.
        "language_choices": settings.LANGUAGES,
    }
