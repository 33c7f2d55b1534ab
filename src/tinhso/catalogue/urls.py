from django.urls import URLPattern, URLResolver, path

from tinhso.catalogue import views

app_name = "catalogue"
urlpatterns: list[URLPattern | URLResolver] = [
    path("thu-tuc/", views.search_page, name="search"),
    path("thu-tuc/<str:code>/", views.procedure_page, name="procedure"),
]
