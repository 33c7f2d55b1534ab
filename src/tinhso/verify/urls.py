from django.urls import path

from tinhso.verify import views

app_name = "verify"

urlpatterns = [
    path("", views.start, name="start"),
    path("<str:code>", views.page, name="page"),
]
