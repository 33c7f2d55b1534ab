"""gunicorn's hooks for tinhso's web server (`gunicorn --config python:tinhso.gunicorn_conf`,
as `tinhso run` and `deploy/tinhso-web.service` start it).

`post_worker_init` runs in each worker once the application is loaded and before it accepts
a request, so the work below is paid by the worker's start, never by `manage.py` commands,
the tests or a request (issue 12):

1. The receipt's first layouts. A process's first WeasyPrint layout loads what it loads once
   (fontconfig's configuration, Pango's faces and glyphs, the code paths of the page), and
   each thread's first layout fills its own font map (`core.fonts.font_configuration`): the
   first receipts of a worker took 150-300 ms more than the next. One Mẫu 01 of made-up
   facts is laid out per worker thread, each with a font configuration that thread then
   takes at its first PDF (`fonts.prepare_font_configurations`, `forms_pdf.warm_receipt`).
2. `gc.freeze()`. A full collection walks every tracked object: after start-up a worker
   holds about 210,000 of them (Django, the apps, WeasyPrint, pyHanko), and each full
   collection took 180-350 ms on the benchmark machine, every 30 or so receipts (a layout
   leaves many cycles behind), which was the receipt's p99. What exists once the worker is
   ready lives as long as the worker; frozen, it is left out of every collection, which then
   walks only what requests made since.

A failure here is logged and the worker serves as it would have without it.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

log = logging.getLogger("tinhso.warmup")


def warm_worker(threads: int) -> None:
    """Steps 1 and 2 above, for a worker serving with `threads` threads."""
    started = time.perf_counter()
    try:
        from tinhso.core import fonts
        from tinhso.dossiers import forms_pdf

        fonts.prepare_font_configurations(max(1, threads), forms_pdf.warm_receipt)
    except Exception:  # a missing font or a broken replacement form: serve without the warm-up
        log.exception("warm-up of the receipt's layout failed; the first receipts will be slow")
    gc.collect()
    gc.freeze()
    log.info(
        "worker warmed in %.0f ms (%d receipt layouts, %d objects frozen)",
        (time.perf_counter() - started) * 1000,
        max(1, threads),
        gc.get_freeze_count(),
    )


def post_worker_init(worker: Any) -> None:
    warm_worker(int(worker.cfg.threads))
