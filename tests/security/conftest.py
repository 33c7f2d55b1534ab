"""A populated platform for the hostile-input tests, built once per module.

The demo data (`tinhso demo load`) gives every kind of object the API and the pages act on:
procedures, dossiers in several states, documents in the signing workflow, field reports. It
is loaded in a transaction that lasts the module and is rolled back at its end; each test
runs in a savepoint inside it (pytest-django's `db`), so what one test saves is gone before
the next. Four identities call: nobody, a client application's key, the demo citizen and an
official whose second factor is satisfied (the session carries the verified TOTP device, as
after `/dang-nhap/` and the code).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command
from django.db import transaction
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client, override_settings

IDENTITIES = ("anonymous", "client", "citizen", "official")
CSRF = _get_new_csrf_string()
OFFICIAL = "vanthu"  # clerk of the provincial committee in the demo; roles added below


@dataclass
class World:
    """What the demo loaded, and how each identity authenticates."""

    api_key: str
    sessions: dict[str, str] = field(default_factory=dict)  # identity -> session key

    def credentials(self, identity: str) -> tuple[dict[str, str], dict[str, str]]:
        """Headers and cookies a raw HTTP client (schemathesis' WSGI transport) sends as
        `identity`; a session comes with its CSRF pair, as a browser's script sends it."""
        if identity == "client":
            return {"X-API-Key": self.api_key}, {}
        cookies = {"csrftoken": CSRF}
        if identity in self.sessions:
            cookies["sessionid"] = self.sessions[identity]
        return {"X-CSRFToken": CSRF}, cookies

    def client(self, identity: str) -> Client:
        """A Django test client as `identity` (CSRF enforced, as a browser meets it)."""
        browser = Client(enforce_csrf_checks=True, raise_request_exception=False)
        browser.cookies["csrftoken"] = CSRF
        if identity in self.sessions:
            browser.cookies["sessionid"] = self.sessions[identity]
        return browser


def _session_for(user, *, device=None) -> str:
    browser = Client()
    browser.force_login(user, backend="tinhso.people.auth.PhoneEmailOrUsernameBackend")
    if device is not None:
        session = browser.session
        session["otp_device_id"] = device.persistent_id  # the second factor passed
        session.save()
    return browser.cookies["sessionid"].value


def _populate() -> World:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tinhso.people import actions as people_actions
    from tinhso.people import clients
    from tinhso.people.models import ApiScope, Role, User
    from tinhso.places.models import Agency

    call_command("demo", "load", stdout=_Discard())
    _, key = clients.issue(
        "Kiểm thử đầu vào",
        scopes=ApiScope.values,
        actor=None,
        requests_per_minute=100_000,
    )
    citizen = User.objects.get(kind=User.Kind.CITIZEN)
    official = User.objects.get(username=OFFICIAL)
    # Reach into each kind of work: documents of the committee, dossiers and field reports of
    # the commune the demo staffs (its reports are routed there).
    committee = official.roles.get().agency
    commune = User.objects.get(username="chutich.xa").roles.get().agency
    for agency, role in (
        (committee, Role.LEADER),
        (commune, Role.RECEIVING_OFFICER),
        (commune, Role.LEADER),
    ):
        people_actions.grant_role(official, Agency.objects.get(pk=agency.pk), role, actor=None)
    world = World(api_key=key)
    world.sessions["citizen"] = _session_for(citizen)
    world.sessions["official"] = _session_for(
        official, device=TOTPDevice.objects.get(user=official)
    )
    return world


class _Discard:
    def write(self, *_args, **_kwargs) -> None:
        pass

    def flush(self) -> None:
        pass


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    media = tmp_path_factory.mktemp("media")
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=media,
        OTP_TOTP_THROTTLE_FACTOR=0,
    )
    with django_db_blocker.unblock(), fast, transaction.atomic():
        from django.conf import settings

        storages = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            # as tests/conftest.py does for each test: the manifest needs `collectstatic`
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(STORAGES=storages):
            yield _populate()
        transaction.set_rollback(True)


@pytest.fixture
def populated(world, db) -> World:
    """The world, inside this test's own savepoint."""
    return world


def pytest_collection_modifyitems(items):
    """Mark the generated items a known defect fails (a module's KNOWN_DEFECTS: item name ->
    reason) as strict xfails, so that the fix, not forgetfulness, removes them."""
    for item in items:
        reason = getattr(item.module, "KNOWN_DEFECTS", {}).get(item.name)
        if reason:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
