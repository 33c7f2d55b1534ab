"""The direct JSON writer of Open311 `GET requests.json` (issue 12) against json.dumps of the
records, on text json.dumps must escape or keep: quotes and backslashes, control characters a
record from before the edge's refusal (or an import) may hold, characters beyond the BMP,
`</script>`, the line and paragraph separators; and a moment on a second's last microsecond."""

from __future__ import annotations

import json
from datetime import timedelta

from tinhso.feedback import actions, open311, open311_views, queries
from tinhso.feedback.models import Report

from .test_open311_hot_path import MONDAY, URL, WEEK

HOSTILE = 'a"b\\c\x01\x1f\x7f</script><!-- 😀𝔘 \u2028\u2029 \t\r\n ệ'


def test_hostile_text_is_written_as_json_dumps_writes_it(client, new_report):
    reports = [actions.submit_report(new_report(), now=MONDAY + timedelta(hours=n)) for n in (1, 2)]
    Report.objects.filter(pk=reports[0].pk).update(
        description=HOSTILE,
        address=HOSTILE,
        state=Report.State.RESOLVED,
        answer=HOSTILE,
        received_at=MONDAY + timedelta(hours=1, microseconds=999_999),
    )
    Report.objects.filter(pk=reports[1].pk).update(public_note=HOSTILE, description="")
    start, end = MONDAY - timedelta(days=1), MONDAY + timedelta(days=6)

    response = client.get(URL, WEEK)

    assert response.status_code == 200
    records = [
        open311_views._request_record(row, "http://testserver")
        for row in queries.open311_requests(queries.RequestRange(start=start, end=end))
    ]
    assert response.content.decode() == open311.Document("r", "r", records).json()
    body = {r["service_request_id"]: r for r in json.loads(response.content)}
    assert body[str(reports[0].pk)]["description"] == HOSTILE
    assert body[str(reports[0].pk)]["requested_datetime"] == "2026-11-23T10:00:00+07:00"
