from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class DatastoreConfig(AppConfig):
    name = "tinhso.datastore"
    label = "datastore"
    verbose_name = gettext_lazy("Kho quản lý dữ liệu điện tử")
