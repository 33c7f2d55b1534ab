from django.apps import AppConfig


class IocConfig(AppConfig):
    name = "tinhso.ioc"
    label = "ioc"
    verbose_name = "Trung tâm điều hành (IOC)"

    def ready(self) -> None:
        from tinhso.ioc import rollups  # noqa: F401  (registers the outbox handlers)
