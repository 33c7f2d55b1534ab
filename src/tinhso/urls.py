from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from tinhso.api.main import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("quan-tri/", admin.site.urls),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tinhso.people.urls")),
    path("", include("tinhso.catalogue.urls")),
    path("", include("tinhso.dossiers.urls")),
    path("", include("tinhso.documents.urls")),
    path("", include("tinhso.feedback.urls")),
    path("", include("tinhso.web.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
