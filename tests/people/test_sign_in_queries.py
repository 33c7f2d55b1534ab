"""The official's password step is a hot path (issue 12, `bench/signin.py`): its statements are
counted, so a change that adds a round trip to every sign-in fails here."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tinhso.people.models import Role

from .support import PASSWORD
from .test_sign_in import SECOND_FACTOR, SIGN_IN

pytestmark = pytest.mark.django_db


@pytest.fixture
def official(make_official, agencies):
    return make_official("chuyenvien", roles=((Role.SPECIALIST, agencies["STP"]),))


def test_the_password_step_costs_a_fixed_number_of_statements(client, official):
    client.get(SIGN_IN)  # the form, as a browser fetches it first
    with CaptureQueriesContext(connection) as queries:
        answer = client.post(SIGN_IN, {"username": "chuyenvien", "password": PASSWORD})

    assert answer.status_code == 302 and answer["Location"] == SECOND_FACTOR
    # the user, to name the account django-axes counts against (`auth.login_name`); its
    # failure count; the user again, in the backend's `authenticate`; whether a confirmed
    # TOTP device exists; then the new session: its key's uniqueness, the INSERT and the
    # UPDATE holding the pending second factor, the last two each inside a savepoint
    assert len(queries) == 11, "\n".join(q["sql"][:120] for q in queries.captured_queries)
