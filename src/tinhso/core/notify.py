"""Notifications to citizens and officials through one interface, delivered via the outbox.

Channels: e-mail over SMTP, SMS through a brand-name gateway's HTTP API, and Zalo
Notification Service (ZNS) template messages. In the embedded default there is no SMTP
server or gateway contract: e-mail is written as .eml files under var/mail/ and SMS and Zalo
messages are written to the log, and each says so. Every remote call has an explicit timeout
and maps failures to RetryableError or PermanentError for the outbox.

Legal note: Decree 13/2023/NĐ-CP (personal data) — messages carry no more personal data
than the notice needs; Decree 91/2020/NĐ-CP (spam) — only transactional notices are sent.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend

from tinhso.core import outbox
from tinhso.core.models import OutboxMessage

log = logging.getLogger("tinhso.notify")

TOPIC = "notify"
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Notification:
    channel: str  # email, sms, zalo
    to: str
    subject: str
    body: str
    reference: str = ""  # idempotency key at the receiving end (the outbox message id)
    template_id: str = ""  # ZNS template, for Zalo
    data: dict[str, str] | None = None


class Channel(Protocol):
    name: str

    def send(self, note: Notification) -> None: ...


# --- e-mail ------------------------------------------------------------------------------
def smtp_backend_from_url(url: str) -> EmailBackend:
    """`smtp://user:pass@host:587?tls=1` or `smtps://...` → Django's SMTP backend."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"}:
        raise ValueError("TINHSO_EMAIL_URL must start with smtp:// or smtps://")
    query = parse_qs(parts.query)
    return EmailBackend(
        host=parts.hostname or "localhost",
        port=parts.port or (465 if parts.scheme == "smtps" else 25),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=query.get("tls", ["0"])[0] in {"1", "true"},
        use_ssl=parts.scheme == "smtps",
        timeout=TIMEOUT_SECONDS,
        fail_silently=False,
    )


def _email(note: Notification) -> EmailMessage:
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return EmailMessage(
        subject=note.subject,
        body=note.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[note.to],
        # The same Message-ID on every retry lets mail systems drop a duplicate delivery.
        headers={"Message-ID": f"<{note.reference or make_msgid()}@{domain}>"},
    )


class SmtpEmailChannel:
    name = "email"

    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, note: Notification) -> None:
        backend = smtp_backend_from_url(self.url)
        try:
            backend.send_messages([_email(note)])
        except smtplib.SMTPRecipientsRefused as exc:
            raise outbox.PermanentError(f"recipient refused: {note.to}") from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise outbox.PermanentError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
            raise outbox.RetryableError(f"SMTP {exc.smtp_code}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise outbox.RetryableError(f"SMTP server unreachable: {exc}") from exc


class FileEmailChannel:
    """Local adapter for the embedded default: writes each e-mail to var/mail/<ref>.eml."""

    name = "email"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, note: Notification) -> None:
        if settings.PRODUCTION:  # mail in files on a production server: refused, as above
            raise outbox.PermanentError("no e-mail server is configured (TINHSO_EMAIL_URL)")
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{note.reference or 'mail'}.eml"
        (self.folder / name).write_bytes(_email(note).message().as_bytes())
        log.info("e-mail written to %s (local file adapter, not sent)", self.folder / name)


# --- HTTP gateways ------------------------------------------------------------------------
def _post_json(url: str, body: dict[str, object], headers: dict[str, str]) -> dict[str, object]:
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's configuration
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 429 or exc.code >= 500:
            raise outbox.RetryableError(f"gateway answered {exc.code}") from exc
        raise outbox.PermanentError(f"gateway refused the message: {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise outbox.RetryableError(f"gateway unreachable: {exc}") from exc
    try:
        answer = json.loads(raw or b"{}")
    except ValueError as exc:
        raise outbox.RetryableError("gateway answered something that is not JSON") from exc
    return answer if isinstance(answer, dict) else {}


class HttpSmsChannel:
    """SMS brand-name gateway over HTTP+JSON.

    Request: POST {"to", "brandname", "message", "reference"} with a bearer token. Answer:
    {"status": "accepted"|"rejected", "error": "..."}. Providers differ; a province's
    gateway contract is mapped onto this shape by a small proxy or a subclass.
    """

    name = "sms"

    def __init__(self, url: str, token: str, brandname: str) -> None:
        self.url, self.token, self.brandname = url, token, brandname

    def send(self, note: Notification) -> None:
        answer = _post_json(
            self.url,
            {
                "to": note.to,
                "brandname": self.brandname,
                "message": note.body,
                "reference": note.reference,
            },
            {"Authorization": f"Bearer {self.token}"},
        )
        if answer.get("status") != "accepted":
            raise outbox.PermanentError(f"SMS rejected: {answer.get('error', answer)}")


class ZaloZnsChannel:
    """Zalo Notification Service: a template message to a phone number.

    Body {"phone": "84…", "template_id", "template_data", "tracking_id"}, header
    `access_token`; the answer's `error` is 0 on success (negative codes are errors).
    """

    name = "zalo"
    RETRYABLE = {-32, -124}  # rate limited; access token expired (refreshed out of band)

    def __init__(self, url: str, access_token: str) -> None:
        self.url, self.access_token = url, access_token

    def send(self, note: Notification) -> None:
        answer = _post_json(
            self.url,
            {
                "phone": international_phone(note.to),
                "template_id": note.template_id,
                "template_data": note.data or {"message": note.body},
                "tracking_id": note.reference,
            },
            {"access_token": self.access_token},
        )
        error = int(str(answer.get("error", -1)))
        if error == 0:
            return
        message = f"Zalo error {error}: {answer.get('message', '')}"
        if error in self.RETRYABLE:
            raise outbox.RetryableError(message)
        raise outbox.PermanentError(message)


class LogChannel:
    """Local adapter for the embedded default: writes the message to the log, sends nothing."""

    def __init__(self, name: str) -> None:
        self.name = name

    def send(self, note: Notification) -> None:
        # In production a message must never sit in the log in clear (one-time codes, look-up
        # secrets): without a gateway it is refused, so it parks where an administrator sees it.
        if settings.PRODUCTION:
            raise outbox.PermanentError(
                f"no {self.name} gateway is configured (TINHSO_{self.name.upper()}_URL)"
            )
        log.info(
            "%s to %s (local log adapter, not sent; configure TINHSO_%s_URL to send): %s",
            self.name.upper(),
            note.to,
            self.name.upper(),
            note.body,
        )


def international_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "84" + digits[1:] if digits.startswith("0") else digits


def channels() -> dict[str, Channel]:
    """The channels this instance is configured with."""
    email: Channel = (
        SmtpEmailChannel(settings.EMAIL_URL)
        if settings.EMAIL_URL
        else FileEmailChannel(settings.VAR_DIR / "mail")
    )
    sms: Channel = (
        HttpSmsChannel(settings.SMS_URL, settings.SMS_TOKEN or "", settings.SMS_BRANDNAME or "")
        if settings.SMS_URL
        else LogChannel("sms")
    )
    zalo: Channel = (
        ZaloZnsChannel(settings.ZALO_URL, settings.ZALO_ACCESS_TOKEN or "")
        if settings.ZALO_URL
        else LogChannel("zalo")
    )
    return {"email": email, "sms": sms, "zalo": zalo}


def _wanted_routes(channel: str, to: str, known: Any = None) -> list[tuple[str, str]] | None:
    """The (channel, address) pairs a citizen account at `to` wants news through.

    None when `to` is not a citizen account's address: the caller's choice stands. A citizen
    chooses on the account page among e-mail, SMS and Zalo (people.User.notify_by_*); SMS and
    Zalo go to the account's phone.
    """
    from django.contrib.auth import get_user_model

    if known is not None and _is_account_at(known, channel, to):
        account = known
    else:
        accounts = get_user_model().objects.filter(kind="citizen", is_active=True)
        if channel == "email":
            account = accounts.filter(email__iexact=to).first()
        else:
            account = accounts.filter(phone=to).first()
    if account is None:
        return None
    routes = []
    if account.notify_by_email and account.email:
        routes.append(("email", account.email))
    if account.notify_by_sms and account.phone:
        routes.append(("sms", account.phone))
    if account.notify_by_zalo and account.phone:
        routes.append(("zalo", account.phone))
    return routes


def _is_account_at(account: Any, channel: str, to: str) -> bool:
    """Whether `account` is the active citizen account the lookup by `to` would find."""
    if getattr(account, "kind", "") != "citizen" or not getattr(account, "is_active", False):
        return False
    if channel == "email":
        return bool(account.email) and account.email.lower() == to.lower()
    return bool(account.phone) and account.phone == to


def notify(
    channel: str,
    to: str,
    subject: str,
    body: str,
    *,
    template_id: str = "",
    data: dict[str, str] | None = None,
    essential: bool = False,
    account: Any = None,
) -> OutboxMessage | None:
    """Queue a notification; call inside the action's transaction.

    When `to` belongs to a citizen account, the citizen's choice of channels decides: news
    goes where it is addressed if the citizen takes that channel; otherwise through the
    channels the citizen did choose (None when there are none). A message moved from e-mail
    to SMS or Zalo carries only its subject and where to read the rest: an e-mail's body is
    long and may hold a look-up secret, which has no place in a text message. Zalo ZNS needs
    an approved template, so news without one is not moved there. `essential` messages
    (one-time codes) go exactly where they are addressed. A caller that has the account at
    hand passes it as `account` (it is used only if it is the one `to` would find).
    """
    if channel not in {"email", "sms", "zalo"}:
        raise ValueError(f"unknown channel {channel!r}")
    routes = None if essential else _wanted_routes(channel, to, account)
    if routes is None or any(route_channel == channel for route_channel, _ in routes):
        routes = [(channel, to)]
    elif not template_id:
        routes = [route for route in routes if route[0] != "zalo"]
    queued = {
        route_channel: outbox.enqueue(
            TOPIC,
            asdict(
                Notification(
                    route_channel,
                    address,
                    subject,
                    body if route_channel == channel else _short_form(subject, body),
                    template_id=template_id,
                    data=data,
                )
            ),
        )
        for route_channel, address in routes
    }
    return queued.get(channel) or next(iter(queued.values()), None)


def _short_form(subject: str, body: str) -> str:
    """The text of a message moved to another channel: the subject (or the first line) and
    where the citizen reads the rest, never the whole body."""
    lines = body.strip().splitlines()
    headline = subject.strip() or (lines[0][:120] if lines else "")
    where = f"{settings.SITE_URL.rstrip('/')}/ho-so-cua-toi/"
    return f"{headline}. Xem chi tiết: {where}" if headline else f"Xem chi tiết: {where}"


@outbox.handler(TOPIC, personal=("to", "subject", "body", "data"))
def deliver_notification(message: OutboxMessage) -> None:
    fields = dict(message.payload)
    fields["reference"] = f"tinhso-outbox-{message.pk}"
    note = Notification(**fields)
    channels()[note.channel].send(note)
