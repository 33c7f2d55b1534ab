from django.contrib.auth.backends import ModelBackend


class PhoneEmailOrUsernameBackend(ModelBackend):
    pass
