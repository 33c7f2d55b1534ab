"""Search as a Vietnamese citizen types: no diacritics, capitals, typos, filters, ranking."""

from __future__ import annotations

import pytest

from tinhso.catalogue import actions
from tinhso.catalogue.queries import search
from tinhso.catalogue.search import distance

pytestmark = pytest.mark.django_db


def names(q, **filters):
    return [p.name for p in search(q, **filters).items]


@pytest.mark.parametrize("q", ["dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "khai sinh", "Khai Sinh"])
def test_birth_registration_comes_first(civil_status, q):
    assert names(q)[0] == "Thủ tục đăng ký khai sinh"


def test_khai_sinh_ranks_the_closest_names_first(civil_status):
    assert names("khai sinh") == [
        "Thủ tục đăng ký khai sinh",
        "Thủ tục đăng ký lại khai sinh",
        "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh",
        "Thủ tục đăng ký khai sinh có yếu tố nước ngoài",
    ]
    assert search("khai sinh").count == 4


@pytest.mark.parametrize(
    ("typed", "corrected"),
    [
        ("khai sinhh", "khai sinh"),
        ("dang ky khia sinh", "dang ky khai sinh"),  # transposed letters
        ("thuongg tru", "thuong tru"),
        ("tinh trang hon nhann", "tinh trang hon nhan"),
    ],
)
def test_typos_are_corrected(civil_status, typed, corrected):
    page = search(typed)
    assert page.corrected == corrected
    assert page.count >= 1


def test_typo_results(civil_status):
    assert names("dang ky khia sinh")[0] == "Thủ tục đăng ký khai sinh"
    assert names("thuongg tru") == ["Đăng ký thường trú"]


def test_the_last_word_may_be_unfinished(civil_status):
    assert names("ket ho") == ["Thủ tục đăng ký kết hôn"]


def test_national_code_finds_the_procedure(civil_status):
    assert names("1.001193") == ["Thủ tục đăng ký khai sinh"]


def test_nothing_found_is_an_empty_page(civil_status):
    page = search("xyzxyz qwqwqw")
    assert (page.items, page.count) == ([], 0)


def test_filters(civil_status):
    assert names("", online_type="toan_trinh") == ["Đăng ký thường trú"]
    assert names("dang ky", field="G01-CA05") == ["Đăng ký thường trú"]
    assert names("khai sinh", level="province") == []
    assert len(names("", level="commune", limit=100)) == 8


def test_without_a_query_the_most_popular_come_first(civil_status):
    assert names("")[0] == "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh"


def test_agency_filter(publish, agencies):
    permit = publish("1.013236", "Cấp giấy phép xây dựng mới", levels=("province",))
    actions.set_agency(permit, agencies["SXD"], actor=None)
    publish("1.013225", "Cấp giấy phép xây dựng mới cấp III")
    assert names("giay phep xay dung", agency="000.00.07.H66") == ["Cấp giấy phép xây dựng mới"]


def test_inactive_and_unpublished_procedures_are_not_found(civil_status, publish):
    assert names("khai tu")[0] == "Thủ tục đăng ký khai tử"
    actions.set_active(civil_status["death"], False, actor=None)
    assert "Thủ tục đăng ký khai tử" not in names("khai tu")
    draft = actions.create_procedure(
        code="9.999999",
        field=civil_status["birth"].field,
        spec=civil_status["birth"].current_version
        and actions.spec_of(civil_status["birth"].current_version),
        actor=None,
    )
    assert draft.current_version is None
    assert search("khai sinh").count == 4


def test_search_updates_when_a_new_version_renames(civil_status, publish):
    publish("1.000656", "Thủ tục đăng ký khai tử (mới)")
    assert names("khai tu moi") == ["Thủ tục đăng ký khai tử (mới)"]


def test_pagination(civil_status):
    first = search("khai sinh", limit=2)
    second = search("khai sinh", limit=2, offset=2)
    assert [p.name for p in first.items + second.items] == names("khai sinh")
    assert first.count == second.count == 4


def test_distance():
    assert distance("khai", "khai", 1) == 0
    assert distance("khia", "khai", 1) == 1
    assert distance("sinhh", "sinh", 1) == 1
    assert distance("abcdef", "fedcba", 2) == 3


def test_colloquial_phrases(civil_status, publish):
    publish(
        "1.115350",
        "Cấp lại Giấy chứng nhận do bị mất",
        field=("G13-TN02", "Đất đai"),
        result_name="Giấy chứng nhận quyền sử dụng đất",
    )
    assert names("làm giấy khai sinh")[0] == "Thủ tục đăng ký khai sinh"
    assert names("nhập hộ khẩu") == ["Đăng ký thường trú"]
    assert names("xin xác nhận độc thân")[0] == "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân"
    assert names("cấp lại sổ đỏ")[0] == "Cấp lại Giấy chứng nhận do bị mất"
