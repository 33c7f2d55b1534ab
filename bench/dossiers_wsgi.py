"""The tinhso WSGI application plus one bare JSON view, for bench/dossiers.py only.

Both go through the same server, the same middleware stack and the same settings: the
difference measured is the work of the look-up itself.
"""

from __future__ import annotations

import json
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


@csrf_exempt
def bare_read(request: HttpRequest) -> JsonResponse:
    """The floor of any answer from the database: the bare view plus one indexed read (the
    look-up's dossier by code, one column), through the same connection handling."""
    from tinhso.dossiers.models import Dossier

    code = json.loads(request.body or b"{}").get("code", "")
    state = Dossier.objects.filter(code=code).values_list("state", flat=True).first()
    return JsonResponse({"ok": True, "state": state})


tinhso.urls.urlpatterns.insert(0, path("bench/bare/", bare))
tinhso.urls.urlpatterns.insert(0, path("bench/bare-read/", bare_read))

# the platform's own WSGI callable (tinhso.wsgi): anonymous API reads take the lean lane
# (tinhso.core.lanes), the bare views above the full stack, as any other path
from tinhso.wsgi import application  # noqa: E402

__all__ = ["application"]
