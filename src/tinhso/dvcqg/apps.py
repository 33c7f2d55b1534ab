from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class DvcqgConfig(AppConfig):
    name = "tinhso.dvcqg"
    label = "dvcqg"
    verbose_name = gettext_lazy("Đồng bộ Cổng Dịch vụ công quốc gia")
