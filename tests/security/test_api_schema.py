"""schemathesis against our own OpenAPI document: every operation, four identities, no 5xx.

Each operation of `/api/v1/openapi.json` is called in-process through the WSGI application,
on the test database populated with the demo data (`conftest.py`), as nobody, as a client
application (API key), as the demo citizen and as an official whose second factor is
satisfied. Generated cases are bounded and derandomized, so CI runs the same cases every
time. Checked: no server error (the probe of issue 17 found 5 with a citizen's session and 2
with an official's), and, for the statuses the document declares, that the body and content
type conform to it. A case whose path names an object is also replayed on a real one of the
demo (a document, a field report, a dossier), so the actions behind the access checks are
reached too, not only the 404.
"""

from __future__ import annotations

import json
import logging
import typing
import zlib

import hypothesis
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tinhso.api.main import api

from .conftest import CSRF, IDENTITIES, World

APP = get_wsgi_application()
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = APP

EXAMPLES = 4  # generated cases per operation and identity, besides schemathesis' explicit ones
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI never fails by chance
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)
CONFORMANCE = [response_schema_conformance, content_type_conformance]

# Defects found here, each pinned by an exact request at the end of this file; the generated
# items they fail are marked xfail (strict) by conftest.py until the fix lands.
KNOWN_DEFECTS: dict[str, str] = {}

pytestmark = pytest.mark.django_db


def real_objects(path: str) -> dict[str, list[object]]:
    """Identifiers of demo objects, by the path parameter that names them in `path`."""
    from tinhso.catalogue.models import Procedure
    from tinhso.documents.models import Document
    from tinhso.dossiers.models import Dossier
    from tinhso.feedback.models import Report
    from tinhso.places.models import Agency, LegacyProvince, Province

    codes = {
        "/api/v1/dossiers/": Dossier.objects.exclude(code__isnull=True).exclude(code=""),
        "/api/v1/procedures/": Procedure.objects.all(),
        "/api/v1/places/agencies/": Agency.objects.all(),
        "/api/v1/places/provinces/": Province.objects.all(),
        "/api/v1/places/legacy-provinces/": LegacyProvince.objects.all(),
    }
    found: dict[str, list[object]] = {
        "doc_id": sorted(Document.objects.values_list("pk", flat=True)),
        "report_id": sorted(Report.objects.values_list("pk", flat=True)),
    }
    for prefix, objects in codes.items():
        if path.startswith(prefix):
            found["code"] = sorted(objects.values_list("code", flat=True))
    return found


def on_real_object(case) -> bool:
    """Point the case's path at demo objects (chosen from the generated value, so the choice
    is as deterministic as the case); False when its path names none."""
    if not case.path_parameters:
        return False
    names = real_objects(case.operation.path)
    swapped = {
        name: names[name][zlib.crc32(str(value).encode()) % len(names[name])]
        for name, value in case.path_parameters.items()
        if names.get(name)
    }
    if not swapped:
        return False
    case.path_parameters = {**case.path_parameters, **swapped}
    return True


def send(case, world: World, identity: str, checks, caplog) -> None:
    caplog.clear()
    headers, cookies = world.credentials(identity)
    try:
        case.call_and_validate(headers=headers, cookies=cookies, checks=checks)
    except Exception as failure:
        logged = "\n".join(f"{r.getMessage()}\n{r.exc_text or ''}" for r in caplog.records)
        if logged.strip():
            failure.add_note(f"logged by the server:\n{logged}")
        raise


@pytest.fixture(autouse=True)
def _no_connection_recycling():
    """Django closes the database connection around each request it serves as WSGI; inside
    a test transaction that would roll the test back. The test client does the same."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("identity", IDENTITIES)
@schema.parametrize()
@SETTINGS
def test_no_server_error(case, identity, populated, caplog):
    """Valid and invalid cases alike, on made-up and on real objects: a refusal is a 4xx,
    never a 5xx."""
    caplog.set_level(logging.ERROR)
    send(case, populated, identity, [not_a_server_error], caplog)
    if on_real_object(case):
        send(case, populated, identity, [not_a_server_error], caplog)


@pytest.mark.parametrize("identity", IDENTITIES)
@schema.parametrize()
@SETTINGS
def test_valid_requests_get_documented_answers(case, identity, populated, caplog):
    """A request the document allows, on a real object where its path names one, answers a
    declared status with the declared body and content type. (Invalid requests are held to
    "no 5xx" above; the refusal of a path the router cannot match has its own test below.)"""
    if case.meta is not None and not case.meta.generation.mode.is_positive:
        return
    caplog.set_level(logging.ERROR)
    on_real_object(case)
    send(case, populated, identity, CONFORMANCE, caplog)


# --- Defects schemathesis found, each pinned by one exact request ----------------------------
# Each mark names the fix; it is removed when the fix lands (strict: a fixed defect fails the
# mark, so it cannot stay by mistake).


def _models(annotation, seen: set[type]) -> None:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for item in annotation.model_fields.values():
            _models(item.annotation, seen)
        return
    for argument in typing.get_args(annotation):
        _models(argument, seen)


def test_each_component_name_is_one_schema():
    """ninja names a component by its class name: two classes with one name collide, and the
    document then describes another answer than the one sent."""
    seen: set[type] = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.response_models.values():
                    field = getattr(model, "model_fields", {}).get("response")
                    if field is not None:
                        _models(field.annotation, seen)
                for model in operation.models:
                    _models(model, seen)
    by_name: dict[str, set[str]] = {}
    for model in seen:
        by_name.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__qualname__}")
    assert {name: where for name, where in by_name.items() if len(where) > 1} == {}


def test_an_unmatched_api_path_gets_the_declared_refusal(populated):
    response = populated.client("official").get("/api/v1/documents/-1")
    assert response.status_code == 404
    assert {"code", "message", "detail"} <= set(response.json())


def test_a_client_key_on_a_session_operation_is_asked_to_sign_in(populated):
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/documents/drafts",
        json.dumps({"subject": "Công văn"}),
        content_type="application/json",
        headers={"X-API-Key": populated.api_key},
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "Cần đăng nhập."


def test_refused_input_carries_a_code(populated):
    from tinhso.feedback.models import Report

    report = Report.objects.order_by("pk").first()
    response = populated.client("official").post(
        f"/api/v1/feedback/reports/{report.pk}/resolve",
        {},
        headers={"X-CSRFToken": CSRF},
    )
    assert response.status_code == 422
    assert response.json()["code"]
