from django.urls import path

from tinhso.people import views

app_name = "people"
urlpatterns = [
    path("dang-nhap/", views.sign_in, name="sign-in"),
    path("dang-nhap/ma-xac-thuc/", views.second_factor, name="second-factor"),
    path("dang-nhap/vneid/", views.oidc_start, name="oidc-start"),
    path("dang-xuat/", views.sign_out, name="sign-out"),
    path("dang-ky/", views.sign_up, name="sign-up"),
    path("dang-ky/xac-nhan/", views.sign_up_confirm, name="sign-up-confirm"),
    path("dang-ky/gui-lai-ma/", views.sign_up_resend, name="sign-up-resend"),
    path("quen-mat-khau/", views.forgot_password, name="forgot-password"),
    path("quen-mat-khau/dat-lai/", views.reset_password, name="reset-password"),
    path("quen-mat-khau/gui-lai-ma/", views.reset_resend, name="reset-resend"),
    path("bao-ve-du-lieu-ca-nhan/", views.privacy_notice, name="privacy-notice"),
    path("tai-khoan/", views.account, name="account"),
    path("tai-khoan/thong-tin/", views.account_details, name="account-details"),
    path("tai-khoan/mat-khau/", views.change_password, name="change-password"),
    path("tai-khoan/lien-he/", views.change_contact, name="change-contact"),
    path(
        "tai-khoan/lien-he/xac-nhan/", views.change_contact_confirm, name="change-contact-confirm"
    ),
    path(
        "tai-khoan/lien-he/gui-lai-ma/", views.change_contact_resend, name="change-contact-resend"
    ),
]
