"""Number and notation rules of Decree 30/2020 Annex I §II.3 and Annex III."""

from __future__ import annotations

import pytest

from tinhso.documents import numbering


@pytest.mark.parametrize(
    ("number", "doc_type", "issuer", "unit", "expected"),
    [
        (15, "QD", "UBND", "", "15/QĐ-UBND"),
        (12, "CV", "UBND", "VX", "12/UBND-VX"),
        (5, "CV", "BNV", "VP", "05/BNV-VP"),
        (1, "QYD", "STP", "", "01/QyĐ-STP"),
        (130, "TTR", "SXD", "", "130/TTr-SXD"),
    ],
)
def test_number_and_notation_follow_annex_one(number, doc_type, issuer, unit, expected):
    assert numbering.number_and_notation(number, doc_type, issuer, unit) == expected


def test_zero_and_bad_groups_are_refused():
    with pytest.raises(numbering.NotationError):
        numbering.format_number(0)
    with pytest.raises(numbering.NotationError):
        numbering.notation("QD", "UB ND")
    with pytest.raises(numbering.NotationError):
        numbering.notation("XX", "UBND")


def test_parse_splits_number_from_notation():
    parsed = numbering.parse("7816/VPCP-TTĐT")
    assert (parsed.number, parsed.notation) == ("7816", "VPCP-TTĐT")
    with pytest.raises(numbering.NotationError):
        numbering.parse("VPCP-TTĐT")
