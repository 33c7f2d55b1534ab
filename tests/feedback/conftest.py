"""Feedback fixtures: the home province with three communes, agencies, categories, routing,
officials with roles, photos with and without GPS, and media files in a temporary folder."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from PIL import Image

from tests import factories
from tinhso.feedback import actions
from tinhso.feedback.media import clean_photo
from tinhso.feedback.models import Attribute, Category, Report
from tinhso.people.models import User
from tinhso.places.models import Agency, Commune, Province


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def province(db) -> Province:
    return factories.province()


@pytest.fixture
def communes(province) -> dict[str, Commune]:
    return {
        "buon-ma-thuot": factories.commune(province, 24121, "Buôn Ma Thuột"),
        "tan-lap": factories.commune(province, 24133, "Tân Lập"),
        "ea-kao": factories.commune(province, 24169, "Ea Kao", "xã"),
    }


@pytest.fixture
def agencies(province, communes) -> dict[str, Agency]:
    root = factories.committee(province)

    def commune_committee(code: str, key: str, name: str) -> Agency:
        return factories.agency(
            root, code, name, "UBND", Agency.Level.COMMUNE, commune=communes[key]
        )

    return {
        "UBND": root,
        "SXD": factories.department(root, "SXD"),
        "BMT": commune_committee(
            "000.01.50.H66", "buon-ma-thuot", "Ủy ban nhân dân phường Buôn Ma Thuột"
        ),
        "EAKAO": commune_committee("000.03.50.H66", "ea-kao", "Ủy ban nhân dân xã Ea Kao"),
    }


@pytest.fixture
def roads(agencies, communes) -> Category:
    """Roads: the Department of Construction by default, Buôn Ma Thuột's committee there."""
    category = Category.objects.create(
        code="giao-thong",
        name="Hư hỏng đường, cầu, vỉa hè",
        description="Ổ gà, sụt lún, vỉa hè vỡ.",
        group="Hạ tầng",
        keywords="đường, ổ gà",
        deadline_days=5,
        reopen_days=7,
    )
    Attribute.objects.create(
        category=category,
        code="muc-do",
        description="Mức độ nguy hiểm",
        datatype=Attribute.Datatype.SINGLE,
        is_required=True,
        order=1,
        values=[{"key": "thap", "name": "Thấp"}, {"key": "cao", "name": "Cao"}],
    )
    actions.set_route(category, None, agencies["SXD"], actor=None)
    actions.set_route(category, communes["buon-ma-thuot"], agencies["BMT"], actor=None)
    return category


@pytest.fixture
def lights(agencies) -> Category:
    """Street lights: no routing rule at all (falls back to the commune or the province)."""
    return Category.objects.create(
        code="chieu-sang",
        name="Đèn chiếu sáng công cộng",
        group="Hạ tầng",
        deadline_days=0,
        deadline_hours=4,
    )


def jpeg(*, gps: tuple[float, float] | None = None, size: tuple[int, int] = (32, 24)) -> bytes:
    image = Image.new("RGB", size, (180, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "Máy ảnh của An"  # Make
    exif[0x013B] = "Nguyễn Văn An"  # Artist
    if gps is not None:
        lat, long = gps

        def dms(value: float) -> tuple[float, float, float]:
            d = int(value)
            m = int((value - d) * 60)
            s = round((value - d - m / 60) * 3600, 2)
            return (float(d), float(m), s)

        exif[0x8825] = {1: "N", 2: dms(lat), 3: "E", 4: dms(long)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def new_report(roads, communes) -> Callable[..., actions.NewReport]:
    def make(**overrides: object) -> actions.NewReport:
        fields: dict[str, object] = {
            "category": roads,
            "description": "Ổ gà lớn trước số 12 Lê Duẩn.",
            "lat": Decimal("12.667800"),
            "long": Decimal("108.038200"),
            "address": "12 Lê Duẩn",
            "commune": communes["buon-ma-thuot"],
            "attributes": {"muc-do": "cao"},
            "reporter_name": "Nguyễn Văn An",
            "reporter_email": "an@example.com",
            "reporter_phone": "0912345678",
        }
        fields.update(overrides)
        return actions.NewReport(**fields)  # type: ignore[arg-type]

    return make


@pytest.fixture
def submitted(new_report) -> Report:
    return actions.submit_report(new_report())


@pytest.fixture
def citizen(db) -> User:
    return factories.citizen(
        "066190001234", phone="0987654321", email="binh@example.com", name="Trần Thị Bình"
    )


@pytest.fixture
def make_official(db) -> Callable[..., User]:
    def make(username: str, *, roles: tuple[tuple[str, Agency], ...] = ()) -> User:
        return factories.official(username, roles=roles)

    return make


@pytest.fixture
def photo_with_gps() -> bytes:
    return jpeg(gps=(12.6678, 108.0382))


@pytest.fixture
def clean(photo_with_gps):
    return clean_photo(photo_with_gps)
