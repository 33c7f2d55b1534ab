from django.urls import URLPattern, URLResolver, path

from tinhso.payments import views

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("vnpay/ipn", views.vnpay_ipn, name="vnpay_ipn"),
    path("vnpay/return", views.vnpay_return, name="vnpay_return"),
    path("paygov/confirm", views.paygov_confirm, name="paygov_confirm"),
    path("bien-lai/<int:pk>/", views.receipt, name="receipt"),
]
