"""Journeys as people walk them: a real server, a real browser, only clicks and typing.

A journey test drives headless Debian Chromium (Playwright) against the platform served the
way `make run` serves it: `tinhso migrate`, `collectstatic`, `demo load`, then `tinhso run`
(gunicorn and the outbox worker) on a free port with a folder of its own. The test never
touches the database: it reads what a person would read (pages, downloads, the e-mails the
embedded adapter writes to `var/mail/`, the SMS the local adapter logs).

Every step that shows a new page is checked with `Person.check(step)`, which fails on what a
person would call broken:
- an error page: any page navigation answered 4xx or 5xx since the last check;
- English in a Vietnamese page: a word of `ENGLISH` in the visible text or in the
  placeholder, aria-label, title or alt of a visible element (`lang="en"` parts excepted);
- a broken image: an `<img>` that loaded nothing, or any image of the site answered >= 400;
- sideways scrolling: the page wider than the window;
- an axe-core (WCAG 2.1 A/AA and best practice) violation;
- a script error in the page, or anything the Content-Security-Policy blocked.
Each check writes a full-page screenshot to `var/journeys/<test>/<width>/NN-<person>-<step>.png`
so a reviewer can look at the whole journey at 360 px and 1280 px. Problems seen between
checks (a failed image after the last step, a script error) fail the test at its end.

`TINHSO_JOURNEY_URL` (with `TINHSO_JOURNEY_VAR_DIR`, the server's var folder) points the
journeys at a server that is already running, as CI does for the fresh-machine smoke test
whose server runs with the optional Debian packages hidden.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.browser import axe_violations

PROJECT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT / "var" / "journeys"
PASSWORD = "tinhso-demo-2025"
TOTP_STEP = 30

# Words that are English and not Vietnamese, as they would leak from an untranslated template,
# Django's own pages or a Python value (`None`). Vietnamese words written without marks
# ("to", "do", "an", "con", "hay", "in", "so") are deliberately absent.
_ENGLISH_TEXT = """
    the and of you your this that these with from for not are is was were been has have will
    cannot please page error forbidden found submit save cancel delete edit search sign login
    logout password username required field invalid enter select choose back next previous
    upload download view yes early late more details welcome warning success status name
    address none true false null undefined nan request failed denied verification token
    missing should must all new open close closed pending draft submitted received paid unpaid
    today online home help contact administration dashboard user users group groups add
    change history filter action actions selected recent go by server internal bad
"""
ENGLISH = frozenset(_ENGLISH_TEXT.split())

_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)

# Visible text and labelling attributes of the page, without lang="en" parts, code samples
# and what is not rendered.
_TEXT_JS = """() => {
  const skip = el => !!el.closest('script,style,noscript,template,code,pre,kbd,samp')
      || (el.closest('[lang]') && !el.closest('[lang]').lang.toLowerCase().startsWith('vi'));
  const seen = el => el.checkVisibility ? el.checkVisibility() : el.getClientRects().length > 0;
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (el && node.nodeValue.trim() && !skip(el) && seen(el)) out.push(node.nodeValue);
  }
  const attrs = ['placeholder', 'aria-label', 'title', 'alt'];
  for (const el of document.body.querySelectorAll('*')) {
    if (skip(el) || !seen(el)) continue;
    for (const a of attrs) if (el.getAttribute(a)) out.push(el.getAttribute(a));
    if (el.matches('input[type=submit],input[type=button]') && el.value) out.push(el.value);
  }
  return {lang: document.documentElement.lang, text: out.join('\\n'), title: document.title};
}"""

_LAYOUT_JS = """() => ({
  scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
  width: document.documentElement.clientWidth,
  widest: [...document.body.querySelectorAll('*')]
      .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
          + (e.className && typeof e.className === 'string' ? '.' + e.className.trim()
             .split(/\\s+/).join('.') : '')),
  broken: [...document.images].filter(i => i.complete && i.naturalWidth === 0 && i.src)
      .map(i => i.getAttribute('src')),
})"""


def english_words(text: str) -> list[str]:
    """The words of `text` that are on the English list, in order, once each."""
    found: list[str] = []
    for word in _WORDS.findall(text):
        lowered = word.lower()
        if lowered in ENGLISH and lowered not in found:
            found.append(lowered)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80] or "step"


@dataclass
class Site:
    """The platform as served to people, with what a person could read of its messages."""

    url: str
    var_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    _last_step: dict[str, int] = field(default_factory=dict)

    def mails(self, to: str | None = None) -> list[EmailMessage]:
        """E-mails the embedded adapter wrote to var/mail/, oldest first, optionally only those
        addressed to `to`."""
        folder = self.var_dir / "mail"
        found: list[EmailMessage] = []
        for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
            with path.open("rb") as f:
                message = email.message_from_binary_file(f, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            if to is None or to.lower() in str(message.get("To", "")).lower():
                found.append(message)
        return found

    def wait_for_mail(self, to: str, *, after: int = 0, timeout: float = 30) -> EmailMessage:
        """The first e-mail to `to` beyond the first `after` ones, waiting for the worker."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mails = self.mails(to)
            if len(mails) > after:
                return mails[after]
            time.sleep(0.3)
        raise AssertionError(f"no e-mail to {to} within {timeout} s")

    def log(self) -> str:
        """What the server and its worker printed (the SMS and Zalo local adapters log here)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, pattern: str, *, after: int = 0, timeout: float = 30) -> re.Match[str]:
        """The first match of `pattern` in the log beyond the first `after` characters."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            match = rx.search(self.log(), after)
            if match:
                return match
            time.sleep(0.3)
        raise AssertionError(f"{pattern!r} did not appear in the server log within {timeout} s")

    def totp(self, username: str) -> str:
        """The current code of a demo official's authenticator, never one already used: the
        platform refuses a code twice, so a second sign-in waits for the next 30-s step."""
        import pyotp

        from tinhso.people.demo import DEMO_OFFICIALS

        secret = DEMO_OFFICIALS[username][0]
        while int(time.time()) // TOTP_STEP <= self._last_step.get(username, -1):
            time.sleep(0.5)
        step = int(time.time()) // TOTP_STEP
        self._last_step[username] = step
        return str(pyotp.TOTP(secret).at(step * TOTP_STEP))

    def tinhso(self, *args: str, timeout: float = 900) -> str:
        """Run a `tinhso` command against this site's database and folder; its output."""
        done = subprocess.run(
            [sys.executable, "-m", "tinhso", *args],
            env=self.env,
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"tinhso {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(2)  # SIGINT: `tinhso run` stops gunicorn and the worker
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _database_for(var_dir: Path) -> str | None:
    """The journeys' own database: beside the test database on PostgreSQL runs (recreated),
    the embedded SQLite file otherwise (None: the platform's default in var_dir)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    import psycopg

    parts = urlsplit(url)
    name = (parts.path.lstrip("/") or "tinhso") + "_journeys"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path="/" + name))


def _wait_until_serving(site: Site, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if site.process is not None and site.process.poll() is not None:
            raise AssertionError(
                f"`tinhso run` exited with {site.process.returncode}:\n{site.log()}"
            )
        try:
            with urllib.request.urlopen(site.url + "/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"the server did not answer within {timeout} s: {last}\n{site.log()}")


def site_folder() -> Path:
    """A var folder for this run's server under var/journeys/ (kept afterwards, with the
    server's log, for whoever looks at a failure); those of finished runs are removed."""
    for old in SCREENSHOTS.glob("_site-*"):
        pid = int(old.name.removeprefix("_site-") or 0)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(old, ignore_errors=True)
        except PermissionError:
            pass
    folder = SCREENSHOTS / f"_site-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def start_site(var_dir: Path) -> Site:
    """Set the platform up as `make run` does, in `var_dir`, and serve it on a free port."""
    external = os.environ.get("TINHSO_JOURNEY_URL")
    if external:
        folder = Path(os.environ.get("TINHSO_JOURNEY_VAR_DIR") or var_dir)
        site = Site(url=external.rstrip("/"), var_dir=folder, env=dict(os.environ))
        _wait_until_serving(site)
        return site
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.pop("DATABASE_URL", None)
    database = _database_for(var_dir)
    if database:
        env["DATABASE_URL"] = database
    env.update(
        TINHSO_VAR_DIR=str(var_dir),
        TINHSO_MODE="embedded",
        TINHSO_SITE_URL=f"http://127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
    )
    site = Site(url=f"http://127.0.0.1:{port}", var_dir=var_dir, env=env)
    site.tinhso("migrate", "--noinput")
    site.tinhso("collectstatic", "--noinput", "--verbosity", "0")
    site.tinhso("demo", "load")
    site.log_path = var_dir / "server.log"
    log = site.log_path.open("wb")
    site.process = subprocess.Popen(
        [sys.executable, "-m", "tinhso", "run", "--bind", f"127.0.0.1:{port}"],
        env=env,
        cwd=PROJECT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_serving(site)
    except BaseException:
        site.stop()
        raise
    return site


@dataclass
class Person:
    """Someone using the platform in a browser of their own (a fresh context)."""

    journey: Journey
    label: str
    context: Any
    page: Any
    problems: list[str] = field(default_factory=list)
    navigations: list[tuple[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        site = self.journey.site.url
        # Generous: CI runs two suites side by side on two cores; a cold worker takes seconds.
        self.page.set_default_timeout(60_000)

        def on_response(response: Any) -> None:
            request = response.request
            if request.is_navigation_request() and request.frame == self.page.main_frame:
                self.navigations.append((response.url, response.status))
            elif response.url.startswith(site) and response.status >= 400:
                self.problems.append(
                    f"{request.resource_type} {response.url} answered {response.status}"
                )

        def on_failed(request: Any) -> None:
            failure = request.failure or ""
            if request.url.startswith(site) and "ERR_ABORTED" not in failure:
                self.problems.append(f"{request.resource_type} {request.url} failed: {failure}")

        self.page.on("response", on_response)
        self.page.on("requestfailed", on_failed)
        self.page.on("pageerror", lambda exc: self.problems.append(f"script error: {exc}"))

        def on_console(message: Any) -> None:
            # The platform sends a strict Content-Security-Policy: an inline script or style
            # that it blocks is a feature broken for the person, so it fails the journey.
            # Code the test itself evaluates (axe-core) has no source URL: not the page's.
            if (
                message.type == "error"
                and "Content Security Policy" in message.text
                and (message.location or {}).get("url")
            ):
                self.problems.append(f"blocked by the CSP: {message.text[:300]}")

        self.page.on("console", on_console)

    def goto(self, path: str) -> None:
        """Open an address as a person typing it or following a link from elsewhere."""
        self.page.goto(self.journey.site.url + path if path.startswith("/") else path)
        self.page.wait_for_load_state()

    def check(self, step: str, *, status: int | None = None) -> None:
        """Fail on anything a person would call broken on the page now shown; screenshot it.
        `status`: the error status this step expects to show (a 404 page, say)."""
        page = self.page
        page.wait_for_load_state()
        where = f"[{self.journey.width}px {self.label} · {step}] {page.url}"
        found: list[str] = []
        navigations, self.navigations = self.navigations, []
        if status is not None:
            assert navigations and navigations[-1][1] == status, (
                f"{where}: expected a {status} page, got {navigations[-1:]}"
            )
            navigations = navigations[:-1]
        found += [f"error page: {url} answered {code}" for url, code in navigations if code >= 400]
        text = page.evaluate(_TEXT_JS)
        if not text["lang"].startswith("vi"):
            found.append(f'<html lang="{text["lang"]}">, not Vietnamese')
        words = english_words(text["title"] + "\n" + text["text"])
        if words:
            found.append(f"English on a Vietnamese page: {', '.join(words)}")
        layout = page.evaluate(_LAYOUT_JS)
        if layout["scrollWidth"] > layout["width"] + 1:
            found.append(
                f"sideways scrolling: {layout['scrollWidth']} px wide in {layout['width']} px "
                f"(widest: {', '.join(layout['widest'])})"
            )
        found += [f"broken image: {src}" for src in layout["broken"]]
        found += [f"axe: {v}" for v in axe_violations(page)]
        found += self.problems
        self.problems = []
        self.journey.screenshot(page, self.label, step)
        assert not found, where + "\n  " + "\n  ".join(found)

    def sign_in(self, login: str, password: str = PASSWORD) -> None:
        """Sign in from the sign-in page with a phone, e-mail or user name and a password."""
        self.goto("/dang-nhap/")
        self.check("dang-nhap")
        self.page.fill("#id_username", login)
        self.page.fill("#id_password", password)
        self.page.press("#id_password", "Enter")
        self.page.wait_for_load_state()

    def sign_in_official(self, username: str) -> None:
        """Password, then the authenticator's current code, as an official signs in."""
        self.sign_in(username)
        self.page.wait_for_url(re.compile(r"/ma-xac-thuc/"))
        self.check("ma-xac-thuc")
        self.page.fill("#id_code", self.journey.site.totp(username))
        self.page.press("#id_code", "Enter")
        self.page.wait_for_url(lambda url: "/dang-nhap/" not in url)
        self.page.wait_for_load_state()

    def sign_out(self) -> None:
        """The header's sign-out button."""
        self.page.get_by_role("button", name=re.compile("Đăng xuất")).first.click()
        self.page.wait_for_load_state()


@dataclass
class Journey:
    """One walk of a journey at one window width; people in it each have their own browser."""

    site: Site
    browser: Any
    width: int
    name: str
    unique: str
    people: list[Person] = field(default_factory=list)
    _shots: int = 0

    @property
    def folder(self) -> Path:
        # CI runs the SQLite and PostgreSQL suites side by side: each keeps its own pictures.
        database = os.environ.get("DATABASE_URL", "")
        root = SCREENSHOTS / "postgresql" if database.startswith("postgres") else SCREENSHOTS
        return root / _slug(self.name) / str(self.width)

    def person(self, label: str, **context_options: Any) -> Person:
        geolocation = context_options.get("geolocation")
        if geolocation is not None:
            context_options.setdefault("permissions", ["geolocation"])
        context = self.browser.new_context(
            viewport={"width": self.width, "height": 800 if self.width < 600 else 900},
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            accept_downloads=True,
            **context_options,
        )
        person = Person(journey=self, label=label, context=context, page=context.new_page())
        self.people.append(person)
        return person

    def screenshot(self, page: Any, who: str, step: str) -> None:
        self._shots += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self._shots:02d}-{_slug(who)}-{_slug(step)}.png"
        page.screenshot(path=str(path), full_page=True)

    def close(self) -> list[str]:
        """Close every browser; what went wrong after the last checks."""
        left: list[str] = []
        for person in self.people:
            left += [f"{person.label}: {p}" for p in person.problems]
            left += [
                f"{person.label}: error page {url} answered {code}"
                for url, code in person.navigations
                if code >= 400
            ]
            person.context.close()
        return left

    def reset_screenshots(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
