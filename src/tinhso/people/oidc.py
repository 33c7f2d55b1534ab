from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class CitizenOIDCBackend(OIDCAuthenticationBackend):
    pass


def username_for_claims(email: str) -> str:
    return email
