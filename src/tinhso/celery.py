"""The Celery application for production workers (`tinhso worker` with TINHSO_BROKER_URL)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")

app = Celery("tinhso")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = {
    "outbox-sweep": {"task": "tinhso.outbox.deliver", "schedule": 5.0},
    # Each job keeps its own interval; the shortest (the audit sealer's, 5 s) sets the pace.
    "periodic-jobs": {"task": "tinhso.periodic.run_due", "schedule": 5.0},
}
app.autodiscover_tasks(["tinhso.core"])
