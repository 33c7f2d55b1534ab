from django.urls import path

from tinhso.people import views

app_name = "people"
urlpatterns = [
    path("dang-nhap/", views.sign_in, name="sign-in"),
    path("dang-nhap/ma-xac-thuc/", views.second_factor, name="second-factor"),
    path("dang-nhap/vneid/", views.oidc_start, name="oidc-start"),
    path("dang-xuat/", views.sign_out, name="sign-out"),
    path("tai-khoan/", views.account, name="account"),
]
