"""Fees as data (payments/fees.py): the lines a dossier owes, decided by a pure function."""

from __future__ import annotations

import pytest

from tinhso.payments import errors, fees
from tinhso.payments.fees import FeeError

COPIES = {
    "kind": "phi",
    "code": "BS",
    "name": "Phí cấp bản sao",
    "amount": 8000,
    "due": "before_result",
    "per": "so_ban_sao",
}
RECORD = {
    "kind": "phi",
    "code": "LLTP",
    "name": "Phí cung cấp thông tin lý lịch tư pháp",
    "amount": 200000,
    "due": "submission",
    "by": {"field": "doi_tuong", "amounts": {"sinh_vien": 100000, "nguoi_co_cong": 100000}},
    "exempt": {"field": "doi_tuong", "values": ["ho_ngheo"]},
}


def test_a_flat_line_is_owed_at_its_due_point():
    computed = fees.compute([RECORD], {"doi_tuong": "khac"})
    assert [(line.code, line.amount, line.due) for line in computed.lines] == [
        ("LLTP", 200000, "submission")
    ]
    assert computed.total_due("submission") == 200000
    assert computed.total_due("before_result") == 0


def test_the_amount_follows_the_applicants_category():
    assert fees.compute([RECORD], {"doi_tuong": "sinh_vien"}).total == 100000


def test_an_exempt_category_pays_nothing_but_sees_the_line():
    (line,) = fees.compute([RECORD], {"doi_tuong": "ho_ngheo"}).lines
    assert (line.amount, line.exempt, line.unit_amount) == (0, True, 200000)


def test_exemption_from_a_multiple_choice_answer():
    computed = fees.compute([RECORD], {"doi_tuong": ["khac", "ho_ngheo"]})
    assert computed.total == 0


def test_per_copy_multiplies_and_zero_copies_owe_nothing():
    three = fees.compute([COPIES], {"so_ban_sao": 3})
    assert [(line.quantity, line.amount) for line in three.lines] == [(3, 24000)]
    assert fees.compute([COPIES], {"so_ban_sao": 0}).lines == ()
    assert fees.compute([COPIES], {}).lines == ()
    assert fees.compute([COPIES], {"so_ban_sao": "2"}).total == 16000


def test_a_cap_limits_the_line():
    capped = {**COPIES, "max": 20000}
    assert fees.compute([capped], {"so_ban_sao": 10}).total == 20000


def test_lines_of_other_channels_and_lines_due_none_are_left_out():
    online = {**RECORD, "code": "A", "amount": 10000, "channels": ["online"], "by": None}
    counter = {**RECORD, "code": "B", "amount": 20000, "channels": ["counter"], "by": None}
    info = {**RECORD, "code": "C", "due": "none", "by": None}
    table = [online, counter, info]
    assert fees.compute(table, {}).total == 10000
    assert fees.compute(table, {}, channel="counter").total == 20000


def test_lines_imported_from_the_national_portal_are_read():
    legacy = [
        {"name": "Lệ phí (nộp trực tuyến)", "amount": 10000, "note": ""},
        {"name": "Lệ phí (nộp trực tiếp)", "amount": 20000, "note": ""},
        {"name": "Phí", "amount": 0, "note": "Mức do HĐND tỉnh quy định"},
    ]
    (line,) = fees.compute(legacy, {}).lines
    assert (line.kind, line.amount, line.due, line.code) == ("le_phi", 10000, "submission", "K01")
    assert fees.compute(legacy, {}, channel="counter").total == 20000


def test_a_computed_line_is_plain_json_to_freeze():
    (line,) = fees.compute([COPIES], {"so_ban_sao": 1}).lines
    assert line.as_dict() == {
        "kind": "phi",
        "code": "BS",
        "name": "Phí cấp bản sao",
        "due": "before_result",
        "unit_amount": 8000,
        "quantity": 1,
        "amount": 8000,
        "exempt": False,
        "note": "",
    }


@pytest.mark.parametrize(
    "table",
    [
        "not a list",
        [42],
        [{"kind": "phi", "code": "X", "name": "Phí", "amount": -1, "due": "submission"}],
        [{"kind": "phi", "code": "X", "name": "Phí", "amount": "10k", "due": "submission"}],
        [{"kind": "phi", "code": "X", "name": "Phí", "amount": 1.5, "due": "submission"}],
        [{"kind": "phi", "code": "X", "name": "Phí", "amount": True, "due": "submission"}],
        [{"kind": "thue", "code": "X", "name": "Thuế", "amount": 1, "due": "submission"}],
        [{"kind": "phi", "code": "X", "name": "Phí", "amount": 1, "due": "later"}],
        [{"kind": "phi", "code": "", "name": "Phí", "amount": 1, "due": "submission"}],
        [{"kind": "phi", "code": "X", "name": "", "amount": 1, "due": "submission"}],
        [{"kind": "phi", "code": "X", "name": "Phí", "amount": 1, "per": 3}],
        [{"kind": "phi", "code": "X", "name": "Phí", "amount": 1, "by": {"field": "a"}}],
        [{"kind": "phi", "code": "X", "name": "Phí", "amount": 1, "by": ["a"]}],
        [{"kind": "phi", "code": "X", "name": "Phí", "amount": 1, "exempt": {"field": "a"}}],
        [{"kind": "phi", "code": "X", "name": "Phí", "amount": 1, "exempt": "ho_ngheo"}],
        [{"kind": "phi", "code": "X", "name": "Phí", "amount": 1, "channels": ["fax"]}],
        [{"kind": "phi", "code": "X", "name": "Phí", "amount": 1, "channels": "online"}],
        [{"kind": "phi", "code": "X", "name": "Phí", "amount": 1, "max": -5}],
        [RECORD, RECORD],  # the same code twice
        [{"name": "Phí", "amount": 10**15}],
    ],
)
def test_bad_fee_data_is_a_typed_error(table):
    with pytest.raises(FeeError) as caught:
        fees.compute(table, {})
    assert caught.value.code is errors.FEE_DATA_INVALID
    assert "fees" in caught.value.fields
    assert fees.validate(table) == {"fees": caught.value.message}


@pytest.mark.parametrize(
    "answer", [-1, 1001, "ba", 2.5, True, {"n": 1}, ["1"], "²", "1²", "①", "١٢"]
)
def test_an_answer_that_cannot_count_copies_is_a_typed_error_on_its_field(answer):
    with pytest.raises(FeeError) as caught:
        fees.compute([COPIES], {"so_ban_sao": answer})
    assert caught.value.code is errors.FEE_ANSWER_INVALID
    assert list(caught.value.fields) == ["so_ban_sao"]


@pytest.mark.parametrize("answers", [None, "x", [], 5, {"doi_tuong": None}, {"doi_tuong": {}}])
def test_odd_answers_never_raise_anything_else(answers):
    assert fees.compute([RECORD], answers).total == 200000


def test_an_empty_table_owes_nothing_and_validates():
    assert fees.compute([], {}).lines == ()
    assert fees.compute(None, {}).lines == ()
    assert fees.validate([COPIES, RECORD]) == {}


def test_an_imported_line_owed_only_in_some_case_is_shown_but_charged_to_nobody():
    """'Phí cấp bản sao (nếu yêu cầu)' in the national portal's free-text table: whether a copy
    is asked for cannot be read from it, so the line is not charged to every birth
    registration (the journey found 8.000 đồng charged to a citizen who asked for no copy)."""
    table = [
        {"name": "Lệ phí đăng ký khai sinh", "amount": 0, "note": "Miễn"},
        {"name": "Phí cấp bản sao Giấy khai sinh (nếu yêu cầu)", "amount": 8000, "note": ""},
        {"name": "Lệ phí đăng ký (khi đăng ký quá hạn)", "amount": 5000, "note": ""},
        {"name": "Phí thẩm định", "amount": 100000, "note": ""},
    ]
    computed = fees.compute(table, {})
    assert [line.name for line in computed.lines] == ["Phí thẩm định"]
    assert computed.total_due("submission") == 100000
    assert [rule.due for rule in fees.parse(table)] == ["none", "none", "none", "submission"]
