from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tinhso.core"
    label = "core"
    verbose_name = "Lõi nền tảng"

    def ready(self) -> None:
        # Outbox handlers, periodic jobs and error codes register themselves on import; apps
        # keep them in handlers.py, jobs.py and errors.py (core's own handlers live in
        # notify.py). After setup, tinhso.core.errors.registered() holds every declared code.
        from django.utils.module_loading import autodiscover_modules

        from tinhso.core import notify  # noqa: F401

        autodiscover_modules("handlers")
        autodiscover_modules("jobs")
        autodiscover_modules("errors")
