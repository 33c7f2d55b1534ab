from django.urls import URLPattern, URLResolver, path

from tinhso.feedback import open311_views, views, views_office

app_name = "feedback"

FMT = "<str:fmt>"
urlpatterns: list[URLPattern | URLResolver] = [
    path(f"open311/v2/discovery.{FMT}", open311_views.discovery, name="open311-discovery"),
    path(f"open311/v2/services.{FMT}", open311_views.service_list, name="open311-services"),
    path(
        f"open311/v2/services/<slug:code>.{FMT}",
        open311_views.service_definition,
        name="open311-service",
    ),
    path(f"open311/v2/requests.{FMT}", open311_views.service_requests, name="open311-requests"),
    path(
        f"open311/v2/requests/<str:pk>.{FMT}",
        open311_views.service_request,
        name="open311-request",
    ),
    path(f"open311/v2/tokens/<str:value>.{FMT}", open311_views.token, name="open311-token"),
    path("phan-anh/", views.report_list, name="list"),
    path("phan-anh/ban-do/", views.report_map, name="map"),
    path("phan-anh/gui/", views.submit, name="submit"),
    path("phan-anh/<int:pk>/", views.report_detail, name="detail"),
    path("phan-anh/xa-tai-vi-tri/", views.commune_at, name="commune-at"),
    path("phan-anh/tep/<int:pk>/", views.media, name="media"),
    path("phan-anh/tep/<int:pk>/video/", views.media, {"part": "video"}, name="media-video"),
    path("phan-anh/<int:pk>/theo-doi/", views.follow, name="follow"),
    path("phan-anh/theo-doi/xac-nhan/<str:token>/", views.confirm_follow, name="follow-confirm"),
    path("phan-anh/<int:pk>/mo-lai/", views.reopen, name="reopen"),
    path("phan-anh/<int:pk>/danh-gia/", views.rate, name="rate"),
    path("can-bo/phan-anh/", views_office.queue, name="office-queue"),
    path("can-bo/phan-anh/<int:pk>/", views_office.detail, name="office-detail"),
    path("can-bo/phan-anh/<int:pk>/<slug:action>/", views_office.act, name="office-act"),
]
