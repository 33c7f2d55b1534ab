"""A worker process for the kill test: the real embedded worker loop with the test handlers."""

import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")

import django

django.setup()

import outbox_handlers  # noqa: E402, F401

from tinhso.core import outbox  # noqa: E402

outbox.run_forever(threading.Event(), poll_seconds=0.2)
