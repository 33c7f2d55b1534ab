from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import JavaScriptCatalog

from tinhso.api.main import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    # The admin's script catalogue with tinhso.web's Vietnamese for what Django's lacks
    # (calendar days, the selector widget); before admin.site.urls, which has the same path.
    path(
        "quan-tri/jsi18n/",
        JavaScriptCatalog.as_view(packages=["django.contrib.admin", "tinhso.web"]),
    ),
    path("quan-tri/", admin.site.urls),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before the "" includes below: a gateway's callback (the VNPay IPN, 50 copies at once)
    # is resolved without walking every page's pattern first (docs/benchmarks.md, IPN).
    path("payments/", include("tinhso.payments.urls")),
    path("", include("tinhso.people.urls")),
    path("", include("tinhso.catalogue.urls")),
    path("", include("tinhso.dossiers.urls")),
    path("", include("tinhso.documents.urls")),
    path("", include("tinhso.feedback.urls")),
    path("kho-du-lieu/", include("tinhso.datastore.urls")),
    path("xac-thuc/", include("tinhso.verify.urls")),
    path("", include("tinhso.ioc.urls")),
    path("", include("tinhso.web.urls")),
]

if settings.SANDBOX:
    # Local stand-ins for the payment gateway and other outside systems; never in production.
    urlpatterns.insert(-1, path("sandbox/", include("tinhso.sandbox.urls")))

# The site's own error pages, in the visitor's language and the site layout (web/views.py).
handler400 = "tinhso.web.views.bad_request"
handler403 = "tinhso.web.views.permission_denied"
handler404 = "tinhso.web.views.page_not_found"
handler500 = "tinhso.web.views.server_error"
