"""Client applications of other channels (ứng dụng kết nối): keys, scopes and rate limits.

The national public service portal, mobile apps and other systems call the API as machine
accounts. Decree 42/2022/NĐ-CP (online public services reached through several channels)
and Decree 45/2020/NĐ-CP (procedures in the electronic environment) are the legal frame;
Decree 13/2023/NĐ-CP asks that who acted on personal data be known: every dossier a client
submits names it, and its issue, change and revocation are audited.

- A key is 256 random bits (`tsk_` + 43 URL-safe characters), returned once by `issue` and
  stored as its SHA-256: with that much entropy one hash is enough, there is nothing to
  brute-force, and the look-up by hash is itself the constant-time check (the database
  compares hashes, never the key; `hmac.compare_digest` confirms the row it returns).
- Scopes (`ApiScope`) say which API a client may call; revocation is immediate and kept
  (`revoked_at`), a revoked client is never deleted.
- The rate limit is a fixed one-minute window per client (`ApiClientUsage`), counted with a
  row update (`count = count + 1`) that the database serialises on the row: exact under
  concurrency on PostgreSQL and SQLite. Counting is not audited (it would flood the chain);
  refusals are answered 429 with `Retry-After`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.core.text import normalize
from tinhso.people.actions import PeopleError
from tinhso.people.models import ApiClient, ApiClientUsage, ApiScope

KEY_PREFIX = "tsk_"
CLIENT_FIELDS = ("name", "scopes", "requests_per_minute", "is_active")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def audit_label(client: ApiClient) -> str:
    """How a client appears as the actor of an audit record (it is not a user account)."""
    return f"api-client:{client.name}"


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    chosen = sorted({str(s).strip() for s in scopes if str(s).strip()})
    unknown = [s for s in chosen if s not in ApiScope.values]
    if unknown:
        raise PeopleError(
            {
                "scopes": _("Phạm vi không hợp lệ: %(unknown)s. Có: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(ApiScope.values)}
            }
        )
    if not chosen:
        raise PeopleError({"scopes": _("Cần ít nhất một phạm vi.")})
    return chosen


def _clean_limit(value: int) -> int:
    if not isinstance(value, int) or value < 1 or value > 100_000:
        raise PeopleError(
            {"requests_per_minute": _("Giới hạn yêu cầu mỗi phút phải từ 1 đến 100000.")}
        )
    return value


def issue(
    name: str, *, scopes: Iterable[str], actor: Any, requests_per_minute: int = 60
) -> tuple[ApiClient, str]:
    """Cấp khóa: a new client application and its key. The key is returned here only."""
    clean_name = normalize(name)
    errors: dict[str, str] = {}
    if not clean_name:
        errors["name"] = _("Cần tên ứng dụng.")
    elif len(clean_name) > 200:
        errors["name"] = _("Tên ứng dụng dài quá 200 ký tự.")
    elif ApiClient.objects.filter(name=clean_name).exists():
        errors["name"] = _("Đã có ứng dụng tên “%(name)s”.") % {"name": clean_name}
    if errors:
        raise PeopleError(errors)
    clean_scopes = _clean_scopes(scopes)
    limit = _clean_limit(requests_per_minute)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        client = ApiClient.objects.create(
            name=clean_name,
            key_prefix=key[:10],
            key_hash=hash_key(key),
            scopes=clean_scopes,
            requests_per_minute=limit,
        )
        audit.record(
            "people.api_client_issued",
            client,
            actor=actor,
            changes={
                **audit.diff({}, audit.snapshot(client, CLIENT_FIELDS)),
                "key_prefix": [None, client.key_prefix],
            },
        )
    return client, key


def update(
    client: ApiClient,
    *,
    actor: Any,
    scopes: Iterable[str] | None = None,
    requests_per_minute: int | None = None,
) -> ApiClient:
    """Change a client's scopes or rate limit (the key stays the same)."""
    new_scopes = _clean_scopes(scopes) if scopes is not None else None
    limit = _clean_limit(requests_per_minute) if requests_per_minute is not None else None
    with transaction.atomic():
        locked = ApiClient.objects.select_for_update().get(pk=client.pk)
        before = audit.snapshot(locked, CLIENT_FIELDS)
        if new_scopes is not None:
            locked.scopes = new_scopes
        if limit is not None:
            locked.requests_per_minute = limit
        changes = audit.diff(before, audit.snapshot(locked, CLIENT_FIELDS))
        if changes:
            locked.save(update_fields=["scopes", "requests_per_minute"])
            audit.record("people.api_client_updated", locked, actor=actor, changes=changes)
    return locked


def revoke(client: ApiClient, *, actor: Any, now: datetime | None = None) -> ApiClient:
    """Thu hồi khóa: the key stops working at once. Revoking twice changes nothing."""
    with transaction.atomic():
        locked = ApiClient.objects.select_for_update().get(pk=client.pk)
        if not locked.is_active:
            return locked
        locked.is_active = False
        locked.revoked_at = now or timezone.now()
        locked.save(update_fields=["is_active", "revoked_at"])
        audit.record(
            "people.api_client_revoked",
            locked,
            actor=actor,
            changes={"is_active": [True, False], "revoked_at": [None, locked.revoked_at]},
        )
    return locked


def authenticate(key: str | None) -> ApiClient | None:
    """The active client holding `key`, or None (unknown, malformed or revoked key)."""
    key = (key or "").strip()
    # Any prefix: keys issued elsewhere (Open311's `o311_…`) keep working once moved here.
    if not 20 <= len(key) <= 200:
        return None
    digest = hash_key(key)
    client = ApiClient.objects.filter(key_hash=digest, is_active=True).first()
    if client is None or not hmac.compare_digest(client.key_hash, digest):
        return None
    return client


@dataclass(frozen=True)
class Usage:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window resets (for Retry-After)


def count_request(client: ApiClient, *, now: datetime | None = None) -> Usage:
    """Count one request in this minute's window; `allowed` is False over the limit."""
    now = now or timezone.now()
    minute = now.replace(second=0, microsecond=0)
    with transaction.atomic():
        usage, _ = ApiClientUsage.objects.get_or_create(client=client, minute=minute)
        ApiClientUsage.objects.filter(pk=usage.pk).update(count=F("count") + 1)
        usage.refresh_from_db(fields=["count"])
    if usage.count == 1:  # first request of a window: drop the old windows
        ApiClientUsage.objects.filter(
            client=client, minute__lt=minute - timedelta(minutes=5)
        ).delete()
    return Usage(
        allowed=usage.count <= client.requests_per_minute,
        count=usage.count,
        limit=client.requests_per_minute,
        retry_after=60 - now.second,
    )


class ClientRefused(Exception):
    """A request from a client application refused before it reaches the API operation."""

    status = 401
    code = "invalid_api_key"

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class MissingScope(ClientRefused):
    status = 403
    code = "missing_scope"


class RateLimited(ClientRefused):
    status = 429
    code = "rate_limited"


def admit(key: str | None, scope: str, *, now: datetime | None = None) -> ApiClient:
    """The client holding `key` if it may use `scope` now, counting the request; or a
    typed refusal: unknown or revoked key (401), scope not granted (403), over the limit (429)."""
    client = authenticate(key)
    if client is None:
        raise ClientRefused(_("Khóa API không hợp lệ hoặc đã bị thu hồi."))
    if not client.has_scope(scope):
        raise MissingScope(
            _("Ứng dụng “%(name)s” không được cấp phạm vi %(scope)s.")
            % {"name": client.name, "scope": scope}
        )
    usage = count_request(client, now=now)
    if not usage.allowed:
        raise RateLimited(
            _("Vượt giới hạn %(limit)s yêu cầu mỗi phút; hãy thử lại sau %(seconds)s giây.")
            % {"limit": usage.limit, "seconds": usage.retry_after},
            retry_after=usage.retry_after,
        )
    return client
