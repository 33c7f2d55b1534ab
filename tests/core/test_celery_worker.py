"""Production delivery: a real Celery worker on the local Redis delivers the outbox."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
from django.utils import timezone

from tests.support import subprocess_env
from tinhso.core import notify
from tinhso.core.models import OutboxMessage


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_celery_worker_with_redis_broker_delivers_the_outbox(tmp_path):
    if not redis_reachable():
        if os.environ.get("CI"):
            pytest.fail("CI must provide Redis on 127.0.0.1:6379")
        pytest.skip("no Redis on 127.0.0.1:6379")
    message = notify.notify("email", "cong.dan@example.vn", "Thông báo", "Nội dung")
    worker = subprocess.Popen(
        [sys.executable, "-m", "tinhso", "worker"],
        env=subprocess_env(
            TINHSO_BROKER_URL="redis://127.0.0.1:6379/15", TINHSO_VAR_DIR=str(tmp_path)
        ),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while OutboxMessage.objects.get(pk=message.pk).state != "delivered":
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            assert time.monotonic() < deadline, "Celery did not deliver within 90 s"
            time.sleep(0.5)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
    delivered = OutboxMessage.objects.get(pk=message.pk)
    assert delivered.attempts == 1
    assert delivered.delivered_at <= timezone.now()
    assert (tmp_path / "mail" / f"tinhso-outbox-{message.pk}.eml").exists()
