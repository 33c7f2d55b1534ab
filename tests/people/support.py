"""Helpers for the people tests: the test password and TOTP codes from a device's key."""

from __future__ import annotations

import base64
import time

import pyotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD as PASSWORD  # the people tests import it from here
from tinhso.people.models import User


def totp_for(user: User) -> pyotp.TOTP:
    device = TOTPDevice.objects.get(user=user)
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode())


def current_code(user: User) -> str:
    return totp_for(user).now()


def wrong_code(user: User) -> str:
    """A 6-digit code the device does not accept now (nor one step either side)."""
    totp = totp_for(user)
    accepted = {totp.at(time.time() + 30 * step) for step in (-1, 0, 1)}
    candidate = 0
    while f"{candidate:06d}" in accepted:
        candidate += 1
    return f"{candidate:06d}"
