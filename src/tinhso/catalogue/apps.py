from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "tinhso.catalogue"
    label = "catalogue"
    verbose_name = "Thủ tục hành chính"
