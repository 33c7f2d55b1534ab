from django.urls import URLPattern, URLResolver, path

from tinhso.sandbox import views

app_name = "sandbox"

urlpatterns: list[URLPattern | URLResolver] = [
    path("vnpay/", views.transactions, name="vnpay-transactions"),
    path("vnpay/pay", views.pay, name="vnpay-pay"),
    path("vnpay/api", views.api, name="vnpay-api"),
]
