from django.conf import settings
from django.urls import path

from tinhso.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("hien-thi/", views.display, name="display"),
    # Uploaded files are never served raw by path, DEBUG or not: only the public ones (a
    # procedure's blank forms); private files go through their app's access-checked views.
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", views.public_file, name="public-file"),
]
