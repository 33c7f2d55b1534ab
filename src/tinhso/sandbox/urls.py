from django.urls import URLPattern, URLResolver, path

from tinhso.sandbox import national_store, views

app_name = "sandbox"

urlpatterns: list[URLPattern | URLResolver] = [
    path("vnpay/", views.transactions, name="vnpay-transactions"),
    path("vnpay/pay", views.pay, name="vnpay-pay"),
    path("vnpay/api", views.api, name="vnpay-api"),
    path("kho-du-lieu-quoc-gia/auth", national_store.auth, name="national-auth"),
    path("kho-du-lieu-quoc-gia/service", national_store.service, name="national-service"),
]
