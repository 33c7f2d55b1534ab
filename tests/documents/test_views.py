"""Officials' pages: list and search, the document page with the signature check, register."""

from __future__ import annotations

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.documents.models import Document

from .test_lifecycle import _issue


def _sign_in(client, user) -> None:
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def test_clerk_sees_the_check_and_registers(client, offices):
    _issue(offices)
    stp = offices["STP"]
    incoming = Document.objects.get(direction="incoming", agency=stp.agency)
    _sign_in(client, stp.clerk)
    page = client.get("/van-ban/?q=cong+trinh").content.decode()
    assert "Về việc kiểm tra công trình xây dựng" in page
    detail = client.get(f"/van-ban/{incoming.pk}/").content.decode()
    assert "chữ ký hợp lệ, văn bản toàn vẹn" in detail
    assert "Vào sổ văn bản đến" in detail
    response = client.post(f"/van-ban/{incoming.pk}/vao-so/", follow=True)
    assert "Đã vào sổ văn bản đến, số đến 01." in response.content.decode()
    incoming.refresh_from_db()
    assert incoming.register_number == 1
    f = incoming.files.get(kind="main")
    download = client.get(f"/van-ban/{incoming.pk}/tep/{f.pk}/")
    assert download.status_code == 200 and download.content == bytes(f.data)


def test_other_agency_gets_404_and_nothing_changes(client, offices):
    _issue(offices)
    incoming = Document.objects.get(direction="incoming", agency=offices["STP"].agency)
    _sign_in(client, offices["UBND"].clerk)
    assert client.get(f"/van-ban/{incoming.pk}/").status_code == 404
    assert client.post(f"/van-ban/{incoming.pk}/vao-so/").status_code == 404
    f = incoming.files.get(kind="main")
    assert client.get(f"/van-ban/{incoming.pk}/tep/{f.pk}/").status_code == 404
    assert "Về việc kiểm tra" not in client.get("/van-ban/").content.decode()
    incoming.refresh_from_db()
    assert (incoming.state, incoming.register_number) == ("received", None)


def test_specialist_cannot_register(client, offices):
    _issue(offices)
    incoming = Document.objects.get(direction="incoming", agency=offices["STP"].agency)
    _sign_in(client, offices["STP"].specialist)
    detail = client.get(f"/van-ban/{incoming.pk}/").content.decode()
    assert "Vào sổ văn bản đến" not in detail
    assert client.post(f"/van-ban/{incoming.pk}/vao-so/").status_code == 403  # as the API
    incoming.refresh_from_db()
    assert incoming.state == "received"


def test_anonymous_is_sent_to_sign_in(client, offices):
    response = client.get("/van-ban/")
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]
