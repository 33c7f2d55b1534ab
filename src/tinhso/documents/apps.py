from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "tinhso.documents"
    label = "documents"
    verbose_name = "Văn bản"
