"""Regression tests of what the API fuzzer (``tests/fuzz/run.py``, ``make fuzz``) found: each one
replays the request it sent and checks the response the way it does, with schemathesis'
``not_a_server_error`` and ``response_schema_conformance`` against the served ``/api/schema/``
(and, with the error responses documented by ``api.schema.document_error_responses``, its
``status_code_conformance`` and ``content_type_conformance``)."""

import pytest
import requests
import schemathesis
from drf_spectacular.settings import patched_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.schema import ERRORS_DOCUMENTED
from catalogs.choices import CatalogKind
from institutions.models import Assignment
from tests.catalogs_factories import FACTORIES
from tests.conftest import client_for
from tests.institutions_factories import TrainingClassFactory, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def openapi(client):
    """The served schema, loaded by schemathesis as the fuzzer loads it."""
    return schemathesis.openapi.from_dict(client.get("/api/schema/", {"format": "json"}).json())


CHECKS = [not_a_server_error, response_schema_conformance]
STRICT_CHECKS = [*CHECKS, status_code_conformance, content_type_conformance]


def assert_conforms(openapi, method: str, template: str, response, checks=CHECKS, **path_parameters) -> None:
    """Validate a Django test response as the fuzzer does: no 5xx, and a body that its documented
    response schema accepts (a standard JSON Schema validator, no discriminator shortcuts)."""
    case = openapi[template][method.upper()].Case(path_parameters=path_parameters)
    request = requests.Request(method.upper(), "http://testserver" + response.wsgi_request.get_full_path())
    converted = schemathesis.Response(
        status_code=response.status_code,
        headers={name.lower(): [value] for name, value in response.headers.items()},
        content=response.content,
        request=request.prepare(),
        elapsed=0.0,
        verify=True,
    )
    case.validate_response(converted, checks=checks)


# --- GET /api/v1/catalogs/{kind}/: the CatalogEntry oneOf (issue 15, item 8) ---------------------
# Its branches were not mutually exclusive: ``kind`` was any string in every branch, so a
# key-industry entry (a general entry plus ``industry``) was valid under both KeyIndustryEntry
# and GeneralEntry, and a validator that ignores the discriminator rejected every valid page.


@pytest.mark.parametrize("kind", CatalogKind.values)
def test_a_catalog_page_conforms_to_its_schema(api, openapi, kind):
    FACTORIES[kind]()
    response = api.get(f"/api/v1/catalogs/{kind}/")
    assert response.status_code == 200
    assert [entry["kind"] for entry in response.json()["results"]] == [kind]
    assert_conforms(openapi, "get", "/api/v1/catalogs/{kind}/", response, kind=kind)


def test_each_catalog_entry_branch_names_its_one_kind(openapi):
    """Each branch of the oneOf admits only its own ``kind`` (an enum of one value), and the
    discriminator maps that value to that branch: branches exclude each other, and client
    generators still see a discriminated union."""
    components = openapi.raw_schema["components"]["schemas"]
    union = components["CatalogEntry"]
    assert union["discriminator"]["propertyName"] == "kind"
    for value, ref in union["discriminator"]["mapping"].items():
        branch = components[ref.rsplit("/", 1)[1]]
        kind = branch["properties"]["kind"]
        enum = components[kind["allOf"][0]["$ref"].rsplit("/", 1)[1]]
        assert enum["enum"] == [value]
        assert "kind" in branch["required"]
    assert sorted(union["discriminator"]["mapping"]) == sorted(CatalogKind.values)


# --- POST /api/v1/classes/{class_id}/assignments/: times at the calendar's ends ----------------
# An assignment opening in year 1 was accepted, and written back as "0001-01-01T08:05:43+08:05:43"
# (Asia/Shanghai before 1901 is local mean time): not an RFC 3339 date-time, so every response
# showing it (the 201, the class, the learner's /me/assignments/) broke its schema.


@pytest.fixture
def class_staff_api():
    training_class = TrainingClassFactory()
    return training_class, client_for(staff_of(training_class.institution))


@pytest.mark.parametrize(
    ("opens_at", "due_at", "field"),
    [
        ("0001-01-01T00:00:00Z", "0001-01-02T00:00:00Z", "opens_at"),
        ("1900-12-31T00:00:00+08:00", "2030-01-01T00:00:00+08:00", "opens_at"),
        (None, "9999-12-31T00:00:00Z", "due_at"),
        ("2030-01-01T00:00:00Z", "2100-01-01T00:00:00Z", "due_at"),
    ],
)
def test_an_assignment_time_outside_the_years_2000_to_2099_is_a_400_naming_it(
    openapi, class_staff_api, opens_at, due_at, field
):
    training_class, staff_api = class_staff_api
    body = {"course": training_class.course_id, "due_at": due_at}
    if opens_at:
        body["opens_at"] = opens_at
    response = staff_api.post(f"/api/v1/classes/{training_class.pk}/assignments/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Assignment.objects.exists()
    assert_conforms(
        openapi, "post", "/api/v1/classes/{class_id}/assignments/", response, class_id=training_class.pk
    )


def test_an_assignment_within_the_years_is_written_back_as_it_was_sent(openapi, class_staff_api):
    training_class, staff_api = class_staff_api
    body = {
        "course": training_class.course_id,
        "opens_at": "2000-01-01T08:00:00+08:00",
        "due_at": "2099-12-31T23:59:59+08:00",
    }
    response = staff_api.post(f"/api/v1/classes/{training_class.pk}/assignments/", body, format="json")
    assert response.status_code == 201
    assert response.json()["opens_at"] == body["opens_at"]
    assert response.json()["due_at"] == body["due_at"]
    assert_conforms(
        openapi, "post", "/api/v1/classes/{class_id}/assignments/", response, class_id=training_class.pk
    )


# --- Error responses: every status an operation answers is in the schema (api/schema.py) --------
# A 401 of a bad token, a 404 of a page past the last or a 400 of a bad filter were answered by
# operations that documented only their 200: a client generator did not know their shape, and the
# fuzzer could not hold statuses and content types to the schema. The postprocessing hook
# ``api.schema.document_error_responses`` documents them, each a JSON ``Detail``.

ERROR_HOOKS = {
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.document_error_responses",
    ]
}


@pytest.fixture
def documented_openapi(client):
    with patched_settings(ERROR_HOOKS):
        raw = client.get("/api/schema/", {"format": "json"}).json()
    assert raw[ERRORS_DOCUMENTED] is True
    return schemathesis.openapi.from_dict(raw)


@pytest.mark.parametrize(
    ("path", "template", "status"),
    [
        ("/api/v1/me/", "/api/v1/me/", 401),
        ("/api/v1/catalogs/general/?year=abc", "/api/v1/catalogs/{kind}/", 400),
        ("/api/v1/catalogs/nothing/", "/api/v1/catalogs/{kind}/", 404),
        ("/api/v1/courses/?page=99", "/api/v1/courses/", 404),
        ("/api/v1/teachers/?page=99", "/api/v1/teachers/", 404),
    ],
)
def test_an_error_answer_is_documented_with_its_status_and_content_type(
    api, documented_openapi, path, template, status
):
    response = api.get(path)
    assert response.status_code == status
    parameters = {"kind": path.split("/")[4]} if "{kind}" in template else {}
    assert_conforms(documented_openapi, "get", template, response, checks=STRICT_CHECKS, **parameters)


def test_a_bad_token_is_a_documented_401_even_where_anonymous_visitors_may_read(api, documented_openapi):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = api.get("/api/v1/courses/")
    assert response.status_code == 401
    assert_conforms(documented_openapi, "get", "/api/v1/courses/", response, checks=STRICT_CHECKS)


def test_the_hook_documents_what_each_operation_can_answer(documented_openapi):
    paths = documented_openapi.raw_schema["paths"]
    assert {"400", "401", "403", "404", "413", "415"} <= set(
        paths["/api/v1/classes/{class_id}/assignments/"]["post"]["responses"]
    )
    assert {"400", "401", "404"} <= set(paths["/api/v1/catalogs/{kind}/"]["get"]["responses"])
    assert "403" not in paths["/api/v1/catalogs/{kind}/"]["get"]["responses"]  # public, read only
    assert "429" in paths["/api/v1/auth/register/"]["post"]["responses"]  # a throttled view
    for operations in paths.values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if status >= "400":
                    assert "application/json" in response["content"], (status, operation["operationId"])
