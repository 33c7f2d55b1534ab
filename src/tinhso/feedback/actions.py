"""Every change to field reports and routing: one named action each.

Open311 client applications are people.ApiClient rows (scope `open311.post`), issued,
changed and revoked by tinhso.people.clients.

Each action owns its transaction, writes its audit record inside it and queues the reporter's
and followers' notifications through the outbox (tinhso.core.notify). Legal sources as in
tinhso.feedback.models.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.core import audit, notify, outbox
from tinhso.core.calendar import current_calendar
from tinhso.core.text import normalize, normalize_block
from tinhso.feedback import errors, rules
from tinhso.feedback.media import (
    MAX_PHOTOS,
    CleanMedia,
    CleanPhoto,
    MediaError,
    check_url,
    check_videos,
)
from tinhso.feedback.models import (
    Attribute,
    Category,
    Event,
    Follower,
    Photo,
    Report,
    RoutingRule,
)
from tinhso.feedback.rules import RuleError
from tinhso.people.models import ApiClient, Role, RoleAssignment
from tinhso.places.boundaries import commune_at
from tinhso.places.models import Agency, Commune
from tinhso.places.queries import home_province

REPORT_FIELDS = (
    "state",
    "agency_id",
    "assignee_id",
    "answer",
    "reason",
    "duplicate_of_id",
    "due_at",
    "escalated_at",
    "resolved_at",
    "rating",
)
MAX_DESCRIPTION = 4000
MAX_FOLLOWERS = 200  # per report
FOLLOW_CONFIRM_DAYS = 3  # a follow confirmation link is valid this long
FOLLOW_SALT = "tinhso.feedback.follow"


@dataclass(frozen=True)
class NewReport:
    """What a reporter gives us, already parsed; `submit_report` checks the rules."""

    category: Category
    description: str
    lat: Decimal | None = None
    long: Decimal | None = None
    address: str = ""
    commune: Commune | None = None
    attributes: Mapping[str, Any] | None = None
    reporter_name: str = ""
    reporter_email: str = ""
    reporter_phone: str = ""
    is_anonymous: bool = False
    consents_to_publish: bool = True
    photos: tuple[CleanMedia, ...] = ()  # photos and videos, already cleaned (media.py)
    media_url: str = ""  # Open311: an image the client hosts, fetched after commit


# --- reports ------------------------------------------------------------------------------


def check_attributes(category: Category, given: Mapping[str, Any]) -> dict[str, Any]:
    """The category's extra answers, checked against its Open311 attribute definitions."""
    answers: dict[str, Any] = {}
    known = {a.code: a for a in category.attributes.all()}
    for code in given:
        if code not in known:
            raise RuleError(
                errors.UNKNOWN_QUESTION,
                _("Câu hỏi bổ sung %(code)r không thuộc lĩnh vực này.") % {"code": code},
                code,
            )
    for code, attribute in known.items():
        raw = given.get(code)
        values = raw if isinstance(raw, list) else ([] if raw in (None, "") else [raw])
        values = [normalize(str(v)) for v in values if str(v).strip()]
        if not values:
            if attribute.is_required:
                raise RuleError(
                    errors.UNANSWERED_QUESTION,
                    _("Chưa trả lời câu hỏi: %(question)s.") % {"question": attribute.description},
                    code,
                )
            continue
        kind = attribute.datatype
        if kind in {Attribute.Datatype.SINGLE, Attribute.Datatype.MULTI}:
            keys = {str(v.get("key")) for v in attribute.values}
            bad = [v for v in values if v not in keys]
            if bad:
                raise RuleError(
                    errors.UNKNOWN_CHOICE,
                    _("Lựa chọn %(choice)r không có trong câu hỏi %(code)s.")
                    % {"choice": bad[0], "code": code},
                    code,
                )
            if kind == Attribute.Datatype.SINGLE and len(values) > 1:
                raise RuleError(
                    errors.SINGLE_CHOICE, _("Câu hỏi %(code)s chỉ chọn một.") % {"code": code}, code
                )
            answers[code] = values if kind == Attribute.Datatype.MULTI else values[0]
        elif kind == Attribute.Datatype.NUMBER:
            try:
                answers[code] = str(Decimal(values[0]))
            except ArithmeticError:
                raise RuleError(
                    errors.NOT_A_NUMBER, _("Câu hỏi %(code)s cần một số.") % {"code": code}, code
                ) from None
        else:
            answers[code] = values[0][:2000]
    return answers


def _fallback_agency(commune: Commune | None) -> Agency:
    if commune is not None:
        local = Agency.objects.filter(
            level=Agency.Level.COMMUNE, commune=commune, is_active=True
        ).first()
        if local is not None:
            return local
    committee = Agency.objects.filter(
        level=Agency.Level.PROVINCE, province=home_province(), parent=None
    ).first()
    if committee is None:
        raise RuleError(errors.NO_AGENCY)
    return committee


def responsible_agency(category: Category, commune: Commune | None) -> Agency:
    """The routing matrix applied to a category and commune."""
    matrix: dict[int | None, int] = dict(
        RoutingRule.objects.filter(category=category).values_list("commune_id", "agency_id")
    )
    chosen = rules.route(matrix, commune.pk if commune else None, None)
    if chosen is None:
        return _fallback_agency(commune)
    return Agency.objects.get(pk=chosen)


def _new_token() -> str:
    return secrets.token_hex(16)


def submit_report(
    new: NewReport,
    *,
    reporter: Any = None,
    channel: str = Report.Channel.WEB,
    filed_by: Any = None,
    api_client: ApiClient | None = None,
    now: datetime | None = None,
) -> Report:
    """Receive a report: check it, route it, set its deadline, store its photos, notify."""
    category = new.category
    if not category.is_active:
        raise RuleError(errors.CATEGORY_CLOSED, field="service_code")
    description = normalize_block(new.description)
    if not description and not new.photos:
        raise RuleError(errors.DESCRIPTION_MISSING, field="description")
    if len(description) > MAX_DESCRIPTION:
        raise RuleError(
            errors.DESCRIPTION_TOO_LONG,
            _("Nội dung dài quá %(max)s ký tự.") % {"max": MAX_DESCRIPTION},
            "description",
        )
    if len(new.photos) > MAX_PHOTOS:
        raise RuleError(
            errors.TOO_MANY_MEDIA,
            _("Gửi tối đa %(count)s ảnh. Ảnh và video được tính chung.") % {"count": MAX_PHOTOS},
            "media",
        )
    try:
        check_videos(new.photos)
    except MediaError as exc:
        raise exc.at("media") from None
    media_url = ""
    if new.media_url.strip():
        try:
            media_url = check_url(new.media_url)
        except MediaError as exc:
            raise exc.at("media_url") from None
    lat, long = new.lat, new.long
    if (lat is None) != (long is None):
        raise RuleError(errors.POSITION_INCOMPLETE, field="lat" if lat is None else "long")
    if lat is None:
        located = [p for p in new.photos if p.lat is not None and p.long is not None]
        if located:
            lat, long = located[0].lat, located[0].long
    if lat is not None and long is not None:
        rules.check_in_vietnam(lat, long)
    address = normalize(new.address)[:300]
    if lat is None and not address and new.commune is None:
        raise RuleError(errors.POSITION_MISSING, field="lat")
    commune = new.commune
    if commune is not None and commune.province_id != home_province().pk:
        raise RuleError(errors.COMMUNE_OUTSIDE, field="commune")
    if commune is None and lat is not None and long is not None:
        # A pin or a photo's GPS names the commune where the province has imported boundaries,
        # so the routing matrix's per-commune rules apply to map reports too.
        found = commune_at(float(lat), float(long))
        if found is not None and found.province_id == home_province().pk:
            commune = found
    answers = check_attributes(category, new.attributes or {})
    email = normalize(new.reporter_email).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise RuleError(
                errors.EMAIL_INVALID,
                _("Địa chỉ thư điện tử %(email)r không hợp lệ.") % {"email": email},
                "email",
            ) from None
    phone = normalize(new.reporter_phone).replace(" ", "").replace(".", "")
    if phone and not (phone.lstrip("+").isdigit() and 9 <= len(phone.lstrip("+")) <= 15):
        raise RuleError(
            errors.PHONE_INVALID,
            _("Số điện thoại %(phone)r không hợp lệ.") % {"phone": phone},
            "phone",
        )
    # Anonymous (ẩn danh): the name is never stored, and the account's details are not filled
    # in; an e-mail or phone the reporter typed in themselves is kept, only to tell them
    # about the report's progress (never shown to the agency: see api._out).
    name = "" if new.is_anonymous else normalize(new.reporter_name)
    if reporter is not None and getattr(reporter, "is_authenticated", False):
        if not new.is_anonymous:
            email = email or (reporter.email or "")
            phone = phone or (getattr(reporter, "phone", "") or "")
            name = name or getattr(reporter, "full_name", "")
    else:
        reporter = None
    now = now or timezone.now()
    with transaction.atomic():
        agency = responsible_agency(category, commune)
        report = Report.objects.create(
            category=category,
            description=description,
            attributes=answers,
            lat=lat,
            long=long,
            address=address,
            commune=commune,
            agency=agency,
            reporter=reporter,
            reporter_name=name[:200],
            reporter_email=email,
            reporter_phone=phone[:20],
            is_anonymous=new.is_anonymous,
            consents_to_publish=new.consents_to_publish,
            channel=channel,
            filed_by=filed_by,
            api_client=api_client,
            token=_new_token(),
            received_at=now,
            updated_at=now,
            public_note="Đã tiếp nhận phản ánh.",
            due_at=rules.due_at(
                current_calendar(),
                now,
                days=category.deadline_days,
                hours=category.deadline_hours,
            ),
        )
        for photo in new.photos:
            _store_photo(report, photo, evidence=False)
        Event.objects.create(
            report=report, at=now, state=Report.State.RECEIVED, note="Đã tiếp nhận phản ánh."
        )
        changes: dict[str, Any] = {
            "category": category.code,
            "agency": agency.code,
            "channel": channel,
            "photos": sum(1 for p in new.photos if p.kind == "photo"),
            "videos": sum(1 for p in new.photos if p.kind == "video"),
        }
        if media_url:
            changes["media_url"] = media_url
            outbox.enqueue(FETCH_MEDIA, {"report": report.pk, "url": media_url})
        audit.record("feedback.report.submit", report, changes=changes, actor=filed_by or reporter)
        _notify_public_change(report, "Đã tiếp nhận phản ánh.")
        _ioc_changed(report.pk)
    return report


def _ioc_counted(report: Report) -> tuple[Any, ...]:
    """What the IOC's report rollups count of a report (ioc/rollups.py)."""
    return (
        report.state,
        report.agency_id,
        report.commune_id,
        report.category_id,
        report.resolved_at,
        report.due_at,
    )


def _ioc_changed(report_id: int) -> None:
    """Queue the IOC's rollup refresh of this report (ioc/rollups.py), in this transaction."""
    from tinhso.ioc.rollups import report_changed

    report_changed(report_id)


def _store_photo(report: Report, photo: CleanMedia, *, evidence: bool) -> Photo:
    """Store the stripped copy: a photo in `image`; a video in `video`, its poster in `image`."""
    name = secrets.token_hex(8)
    stored = Photo(
        report=report, kind=photo.kind, content_type=photo.content_type, is_evidence=evidence
    )
    if photo.kind == "video":
        stored.video.save(f"{name}.{photo.extension}", ContentFile(photo.content), save=False)
        poster = photo.poster
        stored.image.save(f"{name}.{poster.extension}", ContentFile(poster.content), save=False)
    else:
        stored.image.save(f"{name}.{photo.extension}", ContentFile(photo.content), save=False)
    stored.save()
    return stored


# --- Open311 media_url, fetched in the background (handlers.fetch_media) -----------------

FETCH_MEDIA = "feedback.fetch_media"


def attach_fetched_photo(report: Report, photo: CleanPhoto, *, url: str) -> Photo:
    """Store the photo fetched from the report's Open311 media_url (stripped like an upload).

    The position it carries fills in the report's location only if the report had none."""
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.photos.filter(is_evidence=False).count() >= MAX_PHOTOS:
            raise RuleError(
                errors.MEDIA_FULL,
                _("Phản ánh đã có %(count)s ảnh hoặc video.") % {"count": MAX_PHOTOS},
                "media_url",
            )
        stored = _store_photo(locked, photo, evidence=False)
        changes: dict[str, Any] = {"media_url": url, "photo": stored.pk}
        if locked.lat is None and photo.lat is not None and photo.long is not None:
            try:
                rules.check_in_vietnam(photo.lat, photo.long)
            except RuleError:
                pass
            else:
                locked.lat, locked.long = photo.lat, photo.long
                locked.save(update_fields=["lat", "long"])
                changes["position"] = [str(photo.lat), str(photo.long)]
        audit.record("feedback.report.attach_media", locked, changes=changes, actor=None)
    return stored


def record_media_failure(report: Report, *, url: str, reason: str) -> Event:
    """Ghi chú nội bộ: the media_url could not be used; the report itself stands."""
    now = timezone.now()
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        event = Event.objects.create(
            report=locked,
            at=now,
            state=locked.state,
            note=f"Không lấy được ảnh từ media_url {url}: {reason}",
            is_public=False,
        )
        audit.record(
            "feedback.report.media_failed",
            locked,
            changes={"media_url": url, "reason": reason},
            actor=None,
        )
    return event


def _recipients(report: Report) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if report.reporter_email:
        out.append(("email", report.reporter_email))
    elif report.reporter_phone:
        out.append(("sms", report.reporter_phone))
    emails = {report.reporter_email}
    for email in report.followers.values_list("email", flat=True):
        if email not in emails:
            out.append(("email", email))
            emails.add(email)
    return out


def _notify_public_change(report: Report, note: str) -> None:
    state = Report.State(report.state).label
    subject = f"Phản ánh PA-{report.pk}: {state}"
    body = f"Phản ánh PA-{report.pk} ({report.category.name}): {state}.\n{note}".strip()
    for channel, to in _recipients(report):
        notify.notify(channel, to, subject, body)


def _change(
    report: Report,
    action: str,
    *,
    actor: Any,
    note: str,
    public: bool = True,
    now: datetime | None = None,
    **fields: Any,
) -> Report:
    """Lock, apply `fields`, write the history line and the audit record, notify."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Report.objects.select_for_update().select_related("category").get(pk=report.pk)
        new_state = fields.get("state", locked.state)
        moving = new_state != locked.state or action == "assign"
        if moving and not rules.can_move(locked.state, new_state):
            raise RuleError(
                errors.WRONG_STATE,
                _("Phản ánh đang ở trạng thái “%(state)s”, không thể chuyển sang “%(new)s”.")
                % {
                    "state": Report.State(locked.state).label,
                    "new": Report.State(new_state).label,
                },
                "state",
            )
        before = audit.snapshot(locked, REPORT_FIELDS)
        counted = _ioc_counted(locked)
        for key, value in fields.items():
            setattr(locked, key, value)
        if public:
            locked.public_note = note
        locked.updated_at = now
        locked.save()
        Event.objects.create(report=locked, at=now, state=locked.state, note=note, is_public=public)
        audit.record(
            f"feedback.report.{action}",
            locked,
            changes=audit.diff(before, audit.snapshot(locked, REPORT_FIELDS)),
            actor=actor,
        )
        if public:
            _notify_public_change(locked, note)
        if _ioc_counted(locked) != counted:  # an internal note tells nobody
            _ioc_changed(locked.pk)
    report.refresh_from_db()
    return report


# An official's answer, note or reason: a page of text. Longer is refused, never cut short
# (what the person wrote is kept whole or not at all).
MAX_TEXT = 4000


def _required(text: str, field: str, message: str) -> str:
    text = normalize_block(text)
    if not text:
        raise RuleError(errors.REQUIRED, message, field)
    if len(text) > MAX_TEXT:
        raise RuleError(
            errors.TEXT_TOO_LONG,
            _("Nội dung dài quá %(limit)s ký tự.") % {"limit": f"{MAX_TEXT:,}".replace(",", ".")},
            field,
        )
    return text


def verify_report(report: Report, *, actor: Any) -> Report:
    return _change(
        report,
        "verify",
        actor=actor,
        note="Đã xác minh thông tin phản ánh.",
        state=Report.State.VERIFIED,
    )


def assign_report(report: Report, *, assignee: Any, actor: Any, note: str = "") -> Report:
    """Giao xử lý: to an official of the responsible agency (or a unit under it)."""
    allowed = Agency.objects.filter(pk=report.agency_id) | Agency.objects.filter(
        parent_id=report.agency_id
    )
    if not assignee.roles.filter(agency__in=allowed).exists():
        raise RuleError(errors.ASSIGNEE_OUTSIDE, field="assignee")
    return _change(
        report,
        "assign",
        actor=actor,
        note=normalize_block(note) or "Đã giao cho cán bộ xử lý.",
        state=Report.State.ASSIGNED,
        assignee=assignee,
    )


def add_internal_note(report: Report, *, note: str, actor: Any) -> Report:
    """Ghi chú nội bộ: a line in the report's history for the agency only (what was checked,
    who was called); the state does not change and nobody outside is told."""
    return _change(
        report,
        "note",
        actor=actor,
        note=_required(note, "note", _("Cần nội dung ghi chú.")),
        public=False,
    )


def start_work(report: Report, *, actor: Any, note: str = "") -> Report:
    return _change(
        report,
        "start",
        actor=actor,
        note=normalize_block(note) or "Đang xử lý.",
        state=Report.State.IN_PROGRESS,
    )


def resolve_report(
    report: Report,
    *,
    answer: str,
    actor: Any,
    evidence: Iterable[CleanMedia] = (),
    now: datetime | None = None,
) -> Report:
    """Trả lời công khai: the public answer, with up to MAX_PHOTOS evidence photos."""
    answer = _required(answer, "answer", _("Cần nội dung trả lời công khai."))
    evidence = tuple(evidence)
    if len(evidence) > MAX_PHOTOS:
        raise RuleError(
            errors.TOO_MANY_MEDIA,
            _("Gửi tối đa %(count)s ảnh kết quả xử lý.") % {"count": MAX_PHOTOS},
            "evidence",
        )
    try:
        check_videos(evidence)
    except MediaError as exc:
        raise exc.at("evidence") from None
    now = now or timezone.now()
    with transaction.atomic():
        report = _change(
            report,
            "resolve",
            actor=actor,
            note=answer,
            now=now,
            state=Report.State.RESOLVED,
            answer=answer,
            resolved_at=now,
        )
        for photo in evidence:
            _store_photo(report, photo, evidence=True)
    return report


def reject_report(report: Report, *, reason: str, actor: Any) -> Report:
    reason = _required(reason, "reason", _("Cần nêu lý do từ chối."))
    return _change(
        report,
        "reject",
        actor=actor,
        note=f"Từ chối: {reason}",
        state=Report.State.REJECTED,
        reason=reason,
    )


def mark_duplicate(report: Report, *, original: Report, actor: Any) -> Report:
    if original.pk == report.pk or original.duplicate_of_id == report.pk:
        raise RuleError(errors.DUPLICATE_OF_ITSELF, field="duplicate_of")
    if original.state == Report.State.DUPLICATE:
        raise RuleError(errors.DUPLICATE_OF_DUPLICATE, field="duplicate_of")
    return _change(
        report,
        "duplicate",
        actor=actor,
        note=f"Trùng với phản ánh PA-{original.pk}.",
        state=Report.State.DUPLICATE,
        duplicate_of=original,
    )


def reroute_report(report: Report, *, agency: Agency, reason: str, actor: Any) -> Report:
    """Chuyển cơ quan xử lý, with a reason; the deadline does not restart."""
    reason = _required(reason, "reason", _("Cần nêu lý do chuyển cơ quan xử lý."))
    if not report.is_open:
        raise RuleError(errors.REPORT_CLOSED, field="agency")
    if agency.pk == report.agency_id:
        raise RuleError(errors.SAME_AGENCY, field="agency")
    return _change(
        report,
        "reroute",
        actor=actor,
        note=f"Chuyển đến {agency.name}: {reason}",
        agency=agency,
        assignee=None,
    )


def reopen_report(report: Report, *, note: str, actor: Any, now: datetime | None = None) -> Report:
    """The reporter says the problem is still there: back to in progress, new deadline."""
    note = _required(note, "note", _("Hãy cho biết vấn đề còn tồn tại thế nào."))
    now = now or timezone.now()
    if not rules.may_reopen(report.state, report.resolved_at, now, report.category.reopen_days):
        raise RuleError(
            errors.REOPEN_REFUSED,
            _("Chỉ mở lại được phản ánh đã xử lý xong, trong %(days)s ngày.")
            % {"days": report.category.reopen_days},
            "state",
        )
    category = report.category
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        before = audit.snapshot(locked, REPORT_FIELDS)
        locked.state = Report.State.IN_PROGRESS
        locked.resolved_at = None
        locked.escalated_at = None
        locked.rating = None
        locked.public_note = f"Người phản ánh mở lại: {note}"
        locked.due_at = rules.due_at(
            current_calendar(), now, days=category.deadline_days, hours=category.deadline_hours
        )
        locked.updated_at = now
        locked.save()
        Event.objects.create(
            report=locked, at=now, state=locked.state, note=f"Người phản ánh mở lại: {note}"
        )
        audit.record(
            "feedback.report.reopen",
            locked,
            changes=audit.diff(before, audit.snapshot(locked, REPORT_FIELDS)),
            actor=actor,
        )
        _notify_public_change(locked, f"Người phản ánh mở lại: {note}")
    report.refresh_from_db()
    return report


def rate_answer(report: Report, *, rating: int, actor: Any) -> Report:
    rules.check_rating(rating)
    if report.state != Report.State.RESOLVED:
        raise RuleError(errors.NOT_RESOLVED, field="rating")
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        before = audit.snapshot(locked, REPORT_FIELDS)
        locked.rating = rating
        locked.save(update_fields=["rating"])
        audit.record(
            "feedback.report.rate",
            locked,
            changes=audit.diff(before, audit.snapshot(locked, REPORT_FIELDS)),
            actor=actor,
        )
    report.refresh_from_db()
    return report


def _follow_email(email: str) -> str:
    email = normalize(email).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise RuleError(errors.EMAIL_INVALID, field="email") from None
    return email


def _check_follower_cap(report: Report) -> None:
    if Follower.objects.filter(report=report).count() >= MAX_FOLLOWERS:
        raise RuleError(
            errors.FOLLOWERS_FULL,
            _("Phản ánh này đã có %(count)s người theo dõi, không nhận thêm.")
            % {"count": MAX_FOLLOWERS},
            "email",
        )


def follow_token(report: Report, email: str) -> str:
    """The signed token of a follow confirmation link (valid FOLLOW_CONFIRM_DAYS days)."""
    return signing.dumps({"report": report.pk, "email": email}, salt=FOLLOW_SALT)


def request_follow(report: Report, *, email: str) -> bool:
    """Theo dõi phản ánh, step one (double opt-in): send a confirmation link to `email`.

    Nothing is stored: the follow exists only once the owner of the address opens the link
    (confirm_follow). False when the address already follows the report (no mail is sent).
    """
    email = _follow_email(email)
    if Follower.objects.filter(report=report, email=email).exists():
        return False
    _check_follower_cap(report)
    link = settings.SITE_URL.rstrip("/") + reverse(
        "feedback:follow-confirm", args=[follow_token(report, email)]
    )
    with transaction.atomic():
        audit.record("feedback.report.follow_request", report, changes={})
        notify.notify(
            "email",
            email,
            f"Xác nhận theo dõi phản ánh PA-{report.pk}",
            f"Có người (có thể là bạn) đã yêu cầu gửi thông báo về phản ánh PA-{report.pk} "
            f"đến địa chỉ này. Để xác nhận, mở liên kết sau trong {FOLLOW_CONFIRM_DAYS} ngày:\n"
            f"{link}\nNếu bạn không yêu cầu, hãy bỏ qua thư này.",
        )
    return True


def confirm_follow(token: str) -> Follower:
    """Theo dõi phản ánh, step two: the signed link was opened; the follow becomes active."""
    try:
        data = signing.loads(token, salt=FOLLOW_SALT, max_age=timedelta(days=FOLLOW_CONFIRM_DAYS))
        report_id, email = int(data["report"]), _follow_email(str(data["email"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise RuleError(errors.FOLLOW_LINK_INVALID, field="token") from None
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or not report.is_public:
            raise RuleError(errors.REPORT_NOT_FOUND, field="token")
        existing = Follower.objects.filter(report=report, email=email).first()
        if existing is not None:
            return existing
        _check_follower_cap(report)
        follower = Follower.objects.create(report=report, email=email)
        audit.record("feedback.report.follow", report, changes={"followers": 1})
    return follower


def escalate_overdue(*, now: datetime | None = None, actor: Any = None) -> list[Report]:
    """Chuyển cấp trên: open reports past their deadline go to the supervising agency.

    Each report escalates once per deadline; the supervising agency is the responsible
    agency's parent (a commune's committee → the provincial committee). The new deadline is
    the category's again, from now. When the supervising agency misses that deadline too,
    the report escalates again, one level further up; at the top of the tree (no parent) the
    agency's own leaders are told once and the deadline stays as it is.
    """
    now = now or timezone.now()
    calendar = current_calendar()
    escalated: list[Report] = []
    # Not yet escalated for the current deadline: never escalated, or escalated before the
    # deadline that was set then (and has now passed as well).
    pending = Q(escalated_at__isnull=True) | Q(escalated_at__lt=F("due_at"))
    overdue = (
        Report.objects.filter(pending, state__in=rules.OPEN, due_at__lt=now)
        .select_related("agency__parent", "category")
        .order_by("pk")
    )
    for report in overdue:
        with transaction.atomic():
            locked = (
                Report.objects.select_for_update(of=("self",))
                .select_related("agency__parent")
                .get(pk=report.pk)
            )
            if locked.state not in rules.OPEN or locked.due_at >= now:
                continue
            if locked.escalated_at is not None and locked.escalated_at >= locked.due_at:
                continue
            late = locked.agency
            supervisor = late.parent
            before = audit.snapshot(locked, REPORT_FIELDS)
            locked.escalated_at = now
            if supervisor is not None:
                locked.agency = supervisor
                locked.assignee = None
                locked.due_at = rules.due_at(
                    calendar,
                    now,
                    days=report.category.deadline_days,
                    hours=report.category.deadline_hours,
                )
            locked.updated_at = now
            locked.save()
            where = supervisor.name if supervisor else late.name
            Event.objects.create(
                report=locked,
                at=now,
                state=locked.state,
                note=f"Quá hạn xử lý; chuyển {where} đôn đốc.",
                is_public=False,
            )
            audit.record(
                "feedback.report.escalate",
                locked,
                changes=audit.diff(before, audit.snapshot(locked, REPORT_FIELDS)),
                actor=actor,
            )
            _notify_supervisors(locked, supervisor or late, late)
            escalated.append(locked)
    return escalated


def _notify_supervisors(report: Report, supervisor: Agency, late: Agency) -> None:
    """The supervising agency's leaders and heads of unit hear of an overdue report."""
    emails = (
        RoleAssignment.objects.filter(
            agency=supervisor, role__in=[Role.LEADER, Role.HEAD_OF_UNIT], user__is_active=True
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )
    for email in sorted(set(emails)):
        notify.notify(
            "email",
            email,
            f"Phản ánh PA-{report.pk} quá hạn xử lý",
            f"Phản ánh PA-{report.pk} ({report.category.name}) đã quá hạn xử lý tại "
            f"{late.name} và được chuyển đến {supervisor.name} để đôn đốc.",
        )


# --- administration -----------------------------------------------------------------------


def set_route(
    category: Category, commune: Commune | None, agency: Agency, *, actor: Any
) -> RoutingRule:
    """Set one cell of the routing matrix (category × commune → agency)."""
    with transaction.atomic():
        rule = RoutingRule.objects.filter(category=category, commune=commune).first()
        before = {"agency": rule.agency.code} if rule else {}
        if rule is None:
            rule = RoutingRule.objects.create(category=category, commune=commune, agency=agency)
        else:
            rule.agency = agency
            rule.save()
        audit.record(
            "feedback.route.set",
            rule,
            changes=audit.diff(before, {"agency": agency.code}),
            actor=actor,
        )
    return rule
