from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "tinhso.people"
    label = "people"
    verbose_name = "Người dùng"
