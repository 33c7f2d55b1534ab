from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    from tinhso.places.queries import home_province_name

    return {"province_name": home_province_name(), "site_url": settings.SITE_URL}
