from django.urls import path

from tinhso.people import views

app_name = "people"
urlpatterns = [
    path("dang-nhap/", views.sign_in, name="sign-in"),
    path("dang-xuat/", views.sign_out, name="sign-out"),
]
