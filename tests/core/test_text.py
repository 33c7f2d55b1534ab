"""tinhso.core.text: normalising Vietnamese input and folding it for search."""

from __future__ import annotations

import unicodedata

import pytest

from tinhso.core.text import fold, normalize, normalize_block, search_key, strip_forbidden

DECOMPOSED = unicodedata.normalize("NFD", "Đăng ký khai sinh")


def test_normalize_composes_trims_and_collapses_white_space():
    assert DECOMPOSED != "Đăng ký khai sinh"
    assert normalize(f"  {DECOMPOSED} \n\t lần  đầu ") == "Đăng ký khai sinh lần đầu"


@pytest.mark.parametrize("empty", [None, "", "   \n "])
def test_normalize_of_nothing_is_the_empty_string(empty):
    assert normalize(empty) == ""


def test_normalize_drops_characters_xml_does_not_allow():
    assert normalize("Ổ\x01 gà\x00\x1f\ufffe\uffff\ud800 lớn\x7f") == "Ổ gà lớn\x7f"


def test_strip_forbidden_keeps_tab_newline_and_carriage_return():
    assert strip_forbidden("a\tb\nc\rd\x0be\x0cf\x1bg") == "a\tb\nc\rdefg"


def test_normalize_block_keeps_paragraphs():
    given = f"\n  {DECOMPOSED}  \r\n\r\n\r\n  Dòng   hai\x01 \nDòng ba\t \n\n\n\nHết\n\n"
    assert normalize_block(given) == "Đăng ký khai sinh\n\nDòng hai\nDòng ba\n\nHết"


@pytest.mark.parametrize("empty", [None, "", " \n\n \r\n"])
def test_normalize_block_of_nothing_is_the_empty_string(empty):
    assert normalize_block(empty) == ""


def test_fold_drops_diacritics_case_and_d_stroke():
    assert fold("Đăng ký khai sinh") == "dang ky khai sinh"
    assert fold(DECOMPOSED) == "dang ky khai sinh"
    assert fold("ĐƯỜNG Lê-Duẩn, số 12!") == "duong le duan so 12"
    assert fold(None) == ""


def test_search_key_joins_the_folded_parts_and_skips_empty_ones():
    assert search_key("Đăng ký khai sinh", None, "", "Hộ tịch") == "dang ky khai sinh ho tich"
    assert search_key() == ""
