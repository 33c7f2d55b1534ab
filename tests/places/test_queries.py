"""The served province's name, with and without imported places."""

from __future__ import annotations

import pytest

from tinhso.places.models import Commune, LegacyProvince, Province
from tinhso.places.queries import home_province, home_province_name

pytestmark = pytest.mark.usefixtures("places")


def empty_places():
    LegacyProvince.objects.all().delete()
    Commune.objects.all().delete()
    Province.objects.all().delete()


def test_home_province_name_from_the_database(django_assert_num_queries):
    Province.objects.filter(code=66).update(name="Đắk Lắk (đã sửa)")
    with django_assert_num_queries(1):
        assert home_province_name() == "Đắk Lắk (đã sửa)"
    assert home_province().code == 66


def test_home_province_name_on_an_empty_database():
    empty_places()
    assert home_province_name() == "Đắk Lắk"
    with pytest.raises(Province.DoesNotExist):
        home_province()


@pytest.mark.parametrize("empty", [False, True])
def test_a_central_city_keeps_its_title(settings, empty):
    if empty:
        empty_places()
    settings.PROVINCE_CODE = "79"
    assert home_province_name() == "Thành phố Hồ Chí Minh"


@pytest.mark.parametrize(("value", "name"), [("abc", "abc"), ("99", "99")])
def test_an_unknown_province_setting_is_shown_as_it_is(settings, value, name):
    settings.PROVINCE_CODE = value
    assert home_province_name() == name
