from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IocConfig(AppConfig):
    name = "tinhso.ioc"
    label = "ioc"
    verbose_name = _("Trung tâm điều hành (IOC)")

    def ready(self) -> None:
        from tinhso.ioc import rollups  # noqa: F401  (registers the outbox handlers)
