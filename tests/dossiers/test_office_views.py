"""Officials' pages: queues with counts, acting on a row (fetch and plain), access refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tinhso.dossiers import actions
from tinhso.dossiers.models import Dossier
from tinhso.people import actions as people_actions

from .backoffice import state_of_the_world


def sign_in(client, user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not TOTPDevice.objects.filter(user=user).exists():
        people_actions.enroll_totp(user, actor=None)
    device = TOTPDevice.objects.get(user=user)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def test_reception_queue_counts_and_row_action_by_fetch(client, office):
    first = office.submitted()
    second = office.submitted()
    sign_in(client, office.tiepnhan)
    page = client.get(reverse("dossiers:office-queue", args=["cho-tiep-nhan"]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'Chờ tiếp nhận <span class="count">2</span>' in html
    assert html.index(first.code) < html.index(second.code)  # oldest first
    response = client.post(
        reverse("dossiers:office-act", args=[first.code, "receive"]),
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith(f'<tr id="row-{first.code}"')
    assert "Đã cập nhật: đã tiếp nhận, đang giải quyết" in fragment
    assert Dossier.objects.get(pk=first.pk).state == "received"
    # without JavaScript: a plain post redirects back
    back = reverse("dossiers:office-queue", args=["cho-tiep-nhan"])
    plain = client.post(
        reverse("dossiers:office-act", args=[second.code, "receive"]), {"next": back}
    )
    assert plain.status_code == 302 and plain["Location"] == back
    assert Dossier.objects.get(pk=second.pk).state == "received"


def test_refused_row_action_says_why_and_changes_nothing(client, office):
    dossier = office.received()
    sign_in(client, office.tiepnhan)
    before = state_of_the_world(dossier)
    response = client.post(
        reverse("dossiers:office-act", args=[dossier.code, "approve"]),
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 409
    assert "Hồ sơ chưa đến bước lãnh đạo phê duyệt." in response.content.decode()
    assert state_of_the_world(dossier) == before


def test_outsider_and_citizen_get_404_and_nothing_changes(client, office):
    dossier = office.received()
    sign_in(client, office.outsider)
    before = state_of_the_world(dossier)
    assert client.get(reverse("dossiers:office-detail", args=[dossier.code])).status_code == 404
    response = client.post(reverse("dossiers:office-act", args=[dossier.code, "forward"]))
    assert response.status_code == 404
    assert client.get(reverse("dossiers:office-form", args=[dossier.code, "01"])).status_code == 404
    assert state_of_the_world(dossier) == before
    client.logout()
    client.force_login(office.citizen)
    assert client.get(reverse("dossiers:office-home")).status_code == 404


def test_unit_queue_bulk_assignment_and_my_queue(client, office):
    one, two = office.received(), office.received()
    sign_in(client, office.truongphong)
    html = client.get(reverse("dossiers:office-queue", args=["don-vi"])).content.decode()
    assert 'Hồ sơ của đơn vị <span class="count">2</span>' in html
    response = client.post(
        reverse("dossiers:office-bulk-assign"),
        {"codes": [one.code, two.code], "to": office.chuyenvien.pk},
    )
    assert response.status_code == 302
    assert set(Dossier.objects.values_list("assignee__username", flat=True)) == {"chuyenvien"}
    client.logout()
    sign_in(client, office.chuyenvien)
    html = client.get(reverse("dossiers:office-queue", args=["cua-toi"])).content.decode()
    assert 'Hồ sơ của tôi <span class="count">2</span>' in html
    assert one.code in html and two.code in html


def test_detail_forms_and_book(client, office):
    dossier = office.received()
    sign_in(client, office.chuyenvien)
    html = client.get(reverse("dossiers:office-detail", args=[dossier.code])).content.decode()
    assert "Chuyển bước tiếp theo" in html and "Thẩm định hồ sơ" in html
    pdf = client.get(reverse("dossiers:office-form", args=[dossier.code, "01"]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    sheet = client.get(reverse("dossiers:office-form", args=[dossier.code, "kiem-soat"]))
    assert sheet.content.startswith(b"%PDF")
    assert client.get(reverse("dossiers:office-form", args=[dossier.code, "03"])).status_code == 404
    book = client.get(reverse("dossiers:office-book"))
    assert book["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("name", ["den-han-hom-nay", "sap-den-han", "qua-han", "cho-bo-sung"])
def test_every_queue_page_renders(client, office, name):
    office.received()
    sign_in(client, office.chuyenvien)
    assert client.get(reverse("dossiers:office-queue", args=[name])).status_code == 200
    assert client.get(reverse("dossiers:office-queue", args=["khong-co"])).status_code == 404


def test_supplement_from_the_detail_page(client, office):
    dossier = office.received()
    tk = office.version.components.get(code="TK")
    sign_in(client, office.chuyenvien)
    client.post(
        reverse("dossiers:office-act", args=[dossier.code, "request_supplement"]),
        {"components": [str(tk.pk)], f"reason-{tk.pk}": "Thiếu chữ ký", "reason": ""},
    )
    request = dossier.supplements.get()
    assert request.items == [{"component": tk.pk, "name": tk.name, "reason": "Thiếu chữ ký"}]
    assert request.during_processing is True
    assert actions.current_appointment(dossier) == dossier.appointment_at


def test_counter_intake_page(client, office):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from . import support

    tk = office.version.components.get(code="TK")
    cccd = office.version.components.get(code="CCCD")
    url = reverse("dossiers:office-intake", args=[office.version.procedure.code])
    sign_in(client, office.tiepnhan)
    page = client.get(url)
    assert page.status_code == 200 and "Đã số hóa" in page.content.decode()
    form = {
        "channel": "counter",
        "personal_id": "066195000999",
        "full_name": "Trần Thị Thu Hương",
        "ho_ten": "Trần Thị Thu Hương",
        "ngay_sinh": "1995-03-08",
        "delivery": "counter",
        f"digitised-{tk.pk}": "on",
    }
    refused = client.post(url, {**form, "personal_id": "12"})
    assert refused.status_code == 422
    assert not Dossier.objects.exists()
    response = client.post(
        url,
        {
            **form,
            f"component-{tk.pk}": SimpleUploadedFile("tk.pdf", support.pdf_bytes()),
            f"component-{cccd.pk}": SimpleUploadedFile("cccd.png", support.png_bytes()),
        },
    )
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:office-detail", args=[dossier.code])
    assert dossier.state == "received" and dossier.channel == "counter"
    assert sorted(dossier.files.values_list("original_name", "digitised")) == [
        ("cccd.png", False),
        ("tk.pdf", True),
    ]
    client.logout()
    sign_in(client, office.chuyenvien)  # not a receiving officer
    assert client.get(url).status_code == 404


def test_opinions_from_the_detail_page(client, office):
    dossier = office.received()
    sign_in(client, office.chuyenvien)
    url = reverse("dossiers:office-act", args=[dossier.code, "request_opinions"])
    client.post(url, {"agencies": [str(office.agencies["SXD"].pk)], "question": "Cho ý kiến"})
    assert list(dossier.opinions.values_list("agency__short_name", flat=True)) == ["SXD"]
    client.logout()
    sign_in(client, office.outsider)
    html = client.get(reverse("dossiers:office-detail", args=[dossier.code])).content.decode()
    assert "Sở Xây dựng tỉnh Đắk Lắk: chưa trả lời" in html
    client.post(
        reverse("dossiers:office-act", args=[dossier.code, "give_opinion"]),
        {"answer": "Thống nhất"},
    )
    assert dossier.opinions.get().answer == "Thống nhất"


def test_counter_intake_starts_by_finding_the_procedure(client, office):
    procedure = office.version.procedure
    url = reverse("dossiers:office-intake-pick")
    sign_in(client, office.tiepnhan)
    html = client.get(url, {"q": procedure.code}).content.decode()
    assert reverse("dossiers:office-intake", args=[procedure.code]) in html
    assert "Tiếp nhận hồ sơ trực tiếp" in client.get(url).content.decode()
    client.logout()
    # A specialist does not receive dossiers: the same search offers nothing to take in.
    sign_in(client, office.chuyenvien)
    html = client.get(url, {"q": procedure.code}).content.decode()
    assert reverse("dossiers:office-intake", args=[procedure.code]) not in html
    assert "Không có thủ tục phù hợp" in html


def test_counter_intake_finds_the_procedure_by_its_name(client, office):
    # the catalogue search's rows (tuples, not model instances) go through the same check
    from tinhso.catalogue.actions import _refresh_keys

    procedure = office.version.procedure
    _refresh_keys(procedure)  # the fixture's procedure, indexed as publishing does
    sign_in(client, office.tiepnhan)
    url = reverse("dossiers:office-intake-pick")
    html = client.get(url, {"q": procedure.name}).content.decode()
    assert reverse("dossiers:office-intake", args=[procedure.code]) in html


def test_counter_intake_of_a_commune_procedure_asks_which_commune_decides(client, office):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tinhso.places.models import Agency

    from . import support
    from .conftest import make_version

    province = office.agencies["STP"].province
    ea_kao, hoa_phu = (
        Agency.objects.create(
            code=f"000.{n}.50.H66",
            name=name,
            short_name="UBND",
            level=Agency.Level.COMMUNE,
            province=province,
        )
        for n, name in (("01", "Ủy ban nhân dân xã Ea Kao"), ("02", "Ủy ban nhân dân xã Hòa Phú"))
    )
    version = make_version(None, code="1.001193", name="Thủ tục đăng ký khai sinh")
    version.procedure.levels = ["commune"]
    version.procedure.save()
    tk = version.components.get(code="TK")
    url = reverse("dossiers:office-intake", args=["1.001193"])
    sign_in(client, office.tiepnhan)  # the province's service centre receives for any commune
    page = client.get(url).content.decode()
    assert 'name="agency"' in page and "Ủy ban nhân dân xã Hòa Phú" in page
    form = {
        "channel": "counter",
        "personal_id": "066195000999",
        "full_name": "Trần Thị Thu Hương",
        "ho_ten": "Trần Thị Thu Hương",
        "ngay_sinh": "1995-03-08",
        "delivery": "counter",
    }
    refused = client.post(
        url, {**form, f"component-{tk.pk}": SimpleUploadedFile("tk.pdf", support.pdf_bytes())}
    )
    assert refused.status_code == 422
    assert "Vui lòng chọn cơ quan giải quyết hồ sơ." in refused.content.decode()
    assert not Dossier.objects.exists()
    response = client.post(
        url,
        {
            **form,
            "agency": str(hoa_phu.pk),
            f"component-{tk.pk}": SimpleUploadedFile("tk.pdf", support.pdf_bytes()),
        },
    )
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert (dossier.agency, dossier.state) == (hoa_phu, "received")
    assert ea_kao != hoa_phu


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("assign", {"to": "abc"}, "Vui lòng chọn cán bộ."),
        ("extend", {"new_appointment": "2026-02-30T10:00", "reason": "x"}, "ngày hẹn mới"),
    ],
)
def test_malformed_action_input_is_a_message_not_a_500(client, office, action, data, field):
    dossier = office.received()
    sign_in(client, office.truongphong)
    before = state_of_the_world(dossier)
    response = client.post(
        reverse("dossiers:office-act", args=[dossier.code, action]), data, follow=True
    )
    assert response.status_code == 422  # the dossier's page again, its form filled in
    assert field in response.content.decode()
    assert state_of_the_world(dossier) == before


def test_intake_page_subtitle_has_no_dangling_separator(client, office):
    from tinhso.places.models import Agency

    from .conftest import make_version

    sign_in(client, office.tiepnhan)
    url = reverse("dossiers:office-intake", args=[office.version.procedure.code])
    page = client.get(url).content.decode()
    assert f"<p>{office.version.name} · {office.version.procedure.agency.name}</p>" in page
    # a commune procedure has no agency of its own: its name alone, no "·" after it
    Agency.objects.create(
        code="000.01.50.H66",
        name="Ủy ban nhân dân xã Ea Kao",
        short_name="UBND",
        level=Agency.Level.COMMUNE,
        province=office.agencies["STP"].province,
    )
    version = make_version(None, code="1.001193", name="Đăng ký khai sinh")
    version.procedure.levels = ["commune"]
    version.procedure.save()
    page = client.get(reverse("dossiers:office-intake", args=["1.001193"])).content.decode()
    assert "<p>Đăng ký khai sinh</p>" in page and "Đăng ký khai sinh ·" not in page
