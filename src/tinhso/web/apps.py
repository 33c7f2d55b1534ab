from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class WebConfig(AppConfig):
    name = "tinhso.web"
    label = "web"
    verbose_name = gettext_lazy("Giao diện")

    def ready(self) -> None:
        from tinhso.web import admin_widgets

        admin_widgets.install()
