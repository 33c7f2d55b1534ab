from django.urls import path

from tinhso.ioc import reports_views, views

app_name = "ioc"

urlpatterns = [
    path("dieu-hanh/", views.overview, name="overview"),
    path("dieu-hanh/ho-so/", views.dossiers, name="dossiers"),
    path("dieu-hanh/ho-so/<str:code>/", views.dossier, name="dossier"),
    path("dieu-hanh/phan-anh/", views.field_reports, name="field-reports"),
    path("cong-khai/thong-ke/", views.public, name="public"),
    path("dieu-hanh/bao-cao/", reports_views.archive, name="reports"),
    path("dieu-hanh/bao-cao/<int:pk>.<str:kind>", reports_views.download, name="report-file"),
]
