from django.urls import URLPattern, URLResolver, path

from tinhso.documents import views

app_name = "documents"
urlpatterns: list[URLPattern | URLResolver] = [
    path("van-ban/", views.document_list, name="list"),
    path("van-ban/viec-cua-toi/", views.my_work, name="my-work"),
    path("van-ban/tiep-nhan-giay/", views.paper_intake, name="paper"),
    path("van-ban/du-thao/moi/", views.new_draft, name="new-draft"),
    path("van-ban/<int:pk>/", views.document_detail, name="detail"),
    path("van-ban/<int:pk>/tep/<int:file_id>/", views.document_file, name="file"),
    path("van-ban/<int:pk>/vao-so/", views.act, {"slug": "vao-so"}, name="register"),
    path("van-ban/<int:pk>/<slug:slug>/", views.act, name="act"),
]
