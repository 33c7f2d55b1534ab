from django.apps import AppConfig


class VerifyConfig(AppConfig):
    name = "tinhso.verify"
    label = "verify"
    verbose_name = "Kết quả điện tử và xác thực"
