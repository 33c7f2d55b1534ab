"""Each tinhso state and channel against the national code it must carry."""

from __future__ import annotations

import pytest

from tinhso.dossiers.models import Dossier
from tinhso.dvcqg.status import STATUS, national_channel, national_status

S = Dossier.State


@pytest.mark.parametrize(
    ("state", "code"),
    [
        (S.DRAFT, None),
        (S.SUBMITTED, 1),
        (S.RECEIVED, 2),
        (S.SUPPLEMENT_REQUESTED, 5),
        (S.APPROVED, 4),
        (S.REFUSED, 8),
        (S.RESULT_READY, 9),
        (S.RETURNED, 10),
        (S.REJECTED, 3),
        (S.WITHDRAWN, 7),
    ],
)
def test_each_state_has_its_national_code(state, code):
    found = national_status(state)
    assert (None if found is None else int(found)) == code


def test_the_table_covers_every_state_and_nothing_else():
    assert set(STATUS) == set(S.values)


def test_a_received_dossier_is_processing_once_something_happened_after_reception():
    assert national_status(S.RECEIVED, processing_started=True) == 4
    # a later hand-off or an apology's extension does not change a supplement request
    assert national_status(S.SUPPLEMENT_REQUESTED, processing_started=True) == 5


def test_a_fee_due_before_the_result_is_a_financial_obligation():
    assert national_status(S.RECEIVED, processing_started=True, fee_awaited=True) == 6
    assert national_status(S.APPROVED, fee_awaited=True) == 6
    assert national_status(S.RETURNED, fee_awaited=True) == 10
    assert national_status(S.SUBMITTED, fee_awaited=True) == 1


def test_unknown_state_is_an_error():
    with pytest.raises(ValueError, match="unknown dossier state 'archived'"):
        national_status("archived")


@pytest.mark.parametrize(
    ("channel", "code"),
    [
        (Dossier.Channel.WEB, 2),
        (Dossier.Channel.API, 2),
        (Dossier.Channel.COUNTER, 1),
        (Dossier.Channel.POST, 3),
    ],
)
def test_each_channel_has_its_national_code(channel, code):
    assert int(national_channel(channel)) == code
