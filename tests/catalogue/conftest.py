"""Catalogue fixtures: a small published catalogue built through the actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from tests import factories
from tests.factories import sign_in as sign_in  # the catalogue tests import it from here
from tests.factories import spec as spec
from tinhso.catalogue.models import Procedure
from tinhso.core import lanes

SAMPLES = Path(__file__).resolve().parents[3] / "shared/domain/samples/procedures/opengov-dvcqg"

BIRTH_SCHEMA = {
    "type": "object",
    "properties": {
        "child_name": {"type": "string", "title": "Họ, chữ đệm, tên của trẻ", "maxLength": 100},
        "birth_date": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "applicant_name": {"type": "string", "title": "Họ tên người yêu cầu"},
        "email": {"type": "string", "format": "email", "title": "Thư điện tử"},
        "copies": {"type": "integer", "title": "Số bản sao", "minimum": 0, "maximum": 10},
        "sex": {"type": "string", "title": "Giới tính", "enum": ["Nam", "Nữ"]},
    },
    "required": ["child_name", "birth_date", "applicant_name"],
}
BIRTH_LAYOUT = {
    "order": ["applicant_name", "child_name", "birth_date", "sex", "copies", "email"],
    "prefill": {"applicant_name": "citizen.full_name", "email": "citizen.email"},
}


@pytest.fixture
def publish(db) -> Callable[..., Procedure]:
    return factories.procedure


@pytest.fixture
def civil_status(publish) -> dict[str, Procedure]:
    """Procedures whose names share words, to test the ranking."""
    return {
        "birth": publish(
            "1.001193",
            "Thủ tục đăng ký khai sinh",
            processing_days=Decimal("1"),
            eform_schema=BIRTH_SCHEMA,
            eform_layout=BIRTH_LAYOUT,
        ),
        "birth_again": publish("1.004884", "Thủ tục đăng ký lại khai sinh"),
        "birth_foreign": publish("2.000528", "Thủ tục đăng ký khai sinh có yếu tố nước ngoài"),
        "birth_copy": publish(
            "2.000635",
            "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh",
            popularity=50,
            fees=[{"name": "Phí cấp bản sao", "amount": 8000, "note": "mỗi bản"}],
        ),
        "death": publish("1.000656", "Thủ tục đăng ký khai tử"),
        "marriage": publish("1.000894", "Thủ tục đăng ký kết hôn"),
        "marital": publish("1.004873", "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân"),
        "residence": publish(
            "1.004222",
            "Đăng ký thường trú",
            field=("G01-CA05", "Đăng ký, quản lý cư trú"),
            online_type="toan_trinh",
        ),
    }


@pytest.fixture
def staff(db):
    """A catalogue administrator, signed in with a verified second factor."""
    return factories.official("quantri", is_staff=True, totp=True)


@pytest.fixture
def agencies(db):
    root = factories.committee(factories.province())
    return {"UBND": root, "SXD": factories.department(root, "SXD")}


@pytest.fixture
def app() -> Iterator[lanes.Application]:
    # as Django's test client: the test's transaction must outlive each request
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield lanes.Application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
