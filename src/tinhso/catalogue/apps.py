from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


class CatalogueConfig(AppConfig):
    name = "tinhso.catalogue"
    label = "catalogue"
    verbose_name = gettext_lazy("Thủ tục hành chính")

    def ready(self) -> None:
        post_migrate.connect(forget_stored_details, sender=self)


def forget_stored_details(using: str = "default", **kwargs: Any) -> None:
    """A procedure's stored detail (`StoredDetail`, tinhso.catalogue.api) outlives the
    process, unlike the per-process cache it replaced: a release that changes how a detail is
    written (its schema, a translated label, a form's address) would go on serving the old
    bytes until a catalogue write changed the generation. A deployment runs `migrate`
    (docs/deployment.md), so the stored details are forgotten there and rendered again by the
    new code."""
    from django.db import connections

    from tinhso.catalogue.models import StoredDetail

    # not there when migrated back to before it (`migrate catalogue 0004`)
    if StoredDetail._meta.db_table in connections[using].introspection.table_names():
        StoredDetail.objects.using(using).all().delete()
