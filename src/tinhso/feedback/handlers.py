"""Outbox handlers of the feedback app: fetching an Open311 `media_url` after the report commits.

GeoReport v2 lets a client send `media_url`, "a URL to media associated with the request, eg
an image" (http://wiki.open311.org/GeoReport_v2, POST Service Request). We do not publish
someone else's URL: we fetch the image once, in the background, through the SSRF-checked
adapter (media.fetch_url), and store it checked and stripped exactly like an uploaded photo
(media.clean_photo; Decree 13/2023/NĐ-CP on personal data). A URL that cannot be used
(refused address, not an image, too big, 404) is recorded on the report's history as an
internal note and the message is done; a transient failure (timeout, 5xx) is retried by the
outbox with backoff.
"""

from __future__ import annotations

import logging

from tinhso.core import outbox
from tinhso.core.context import acting_as
from tinhso.core.models import OutboxMessage, ProcessedMessage
from tinhso.feedback import actions, media
from tinhso.feedback.errors import FeedbackError
from tinhso.feedback.models import Report

log = logging.getLogger("tinhso.feedback")


@outbox.handler(actions.FETCH_MEDIA)
def fetch_media(message: OutboxMessage) -> None:
    if ProcessedMessage.objects.filter(handler=actions.FETCH_MEDIA, message_id=message.pk).exists():
        return  # an earlier delivery stored the photo or recorded the failure
    report = Report.objects.filter(pk=message.payload["report"]).first()
    if report is None:
        return  # the report was deleted meanwhile: nothing to attach to
    url = str(message.payload["url"])
    photo: media.CleanPhoto | None = None
    reason = ""
    # Network and decoding happen outside any transaction (RetryableError propagates).
    try:
        photo = media.clean_photo(media.fetch_url(url))
    except media.MediaError as exc:  # FetchRefused included: retrying cannot help
        reason = exc.message

    @outbox.idempotent(actions.FETCH_MEDIA)
    def apply(message: OutboxMessage) -> None:
        with acting_as(None, channel="worker"):
            if photo is None:
                actions.record_media_failure(report, url=url, reason=reason)
                return
            try:
                actions.attach_fetched_photo(report, photo, url=url)
            except FeedbackError as exc:
                actions.record_media_failure(report, url=url, reason=exc.message)

    apply(message)
    log.info("media_url of PA-%s: %s", report.pk, "stored" if photo else f"refused: {reason}")
