from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class CatalogueConfig(AppConfig):
    name = "tinhso.catalogue"
    label = "catalogue"
    verbose_name = gettext_lazy("Thủ tục hành chính")
