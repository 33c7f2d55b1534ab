from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tinhso.core"
    label = "core"
    verbose_name = "Lõi nền tảng"

    def ready(self) -> None:
        # Outbox handlers register themselves on import; every app keeps them in handlers.py
        # (core's own live in notify.py).
        from django.utils.module_loading import autodiscover_modules

        from tinhso.core import notify  # noqa: F401

        autodiscover_modules("handlers")
