from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "tinhso.sandbox"
    label = "sandbox"
    verbose_name = "Môi trường thử nghiệm"
