from django.urls import URLPattern, URLResolver, path

from tinhso.datastore import views, views_national

app_name = "datastore"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.mine, name="mine"),
    path("tai-len/", views.upload, name="upload"),
    path("to-chuc/<int:organisation>/", views.mine, name="organisation"),
    path("to-chuc/<int:organisation>/tai-len/", views.upload, name="organisation_upload"),
    path("ai-da-xem/", views.reads, name="reads"),
    path("to-chuc/<int:organisation>/ai-da-xem/", views.reads, name="organisation_reads"),
    path("kho-quoc-gia/", views_national.national_store, name="national"),
    path("chia-se/<str:token>/", views.shared, name="shared"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/tep/", views.download, name="download"),
    path("<int:pk>/xoa/", views.delete, name="delete"),
    path("<int:pk>/chia-se/", views.share, name="share"),
    path("<int:pk>/chia-se/<int:share_pk>/thu-hoi/", views.revoke, name="revoke"),
]
