"""Property-based tests generated from the OpenAPI schema (schemathesis): no input makes a 5xx, and
every answer matches its documented schema and status."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from emolens.service.app import create_app
from emolens.service.settings import ServiceSettings

app = create_app(ServiceSettings(max_upload_mb=1.0, max_pixels=4_000_000, request_timeout=20))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error(case):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.path} -> {response.status_code}: {response.text[:300]}"
    case.validate_response(
        response, checks=[status_code_conformance, content_type_conformance, response_schema_conformance]
    )
