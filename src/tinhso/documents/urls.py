from django.urls import URLPattern, URLResolver, path

from tinhso.documents import views

app_name = "documents"
urlpatterns: list[URLPattern | URLResolver] = [
    path("van-ban/", views.document_list, name="list"),
    path("van-ban/<int:pk>/", views.document_detail, name="detail"),
    path("van-ban/<int:pk>/tep/<int:file_id>/", views.document_file, name="file"),
    path("van-ban/<int:pk>/vao-so/", views.register, name="register"),
]
