"""The tinhso WSGI application plus one bare JSON view, for bench/dossiers.py only.

Both go through the same server, the same middleware stack and the same settings: the
difference measured is the work of the look-up itself.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

import tinhso.urls  # noqa: E402

# one client address sends every request: lift the per-address limit for the measurement
settings.DOSSIER_LOOKUPS_PER_MINUTE = 10**9
settings.DOSSIER_LOOKUPS_PER_CODE_PER_MINUTE = 10**9


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True, "length": len(request.body)})


tinhso.urls.urlpatterns.insert(0, path("bench/bare/", bare))

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
