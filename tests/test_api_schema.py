"""The OpenAPI document against the running server: schemathesis draws requests from
/api/v1/openapi.json (valid ones and invalid ones, with an admin's token) and checks that
no answer is a 5xx, that every status is one the document names, and that every body and
header is as the document says. Deterministic (derandomized) and bounded (a few examples
an operation, well under a minute)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from signage_server.api import GROUPS, create, document

from .support import RunningServer, Site, jpeg
from .test_api import API, api_token, bearer

EXAMPLES = 20
#: Far more than a run takes (about 10 s here); a run that needs more has gone wrong.
BUDGET_SECONDS = 45.0
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]


#: Path parameters that name real things: drawn ones rarely do (they are a 404).
REAL = {
    "PATCH": {"area": "morkov", "key": "morkov/01-plakat.jpg"},
    "DELETE": {"area": "morkov", "key": "morkov/02-plakat.jpg"},
}


def exercise(url: str, secret: str, deadline: float) -> list[str]:
    """Run every operation in both modes, with drawn path parameters and with real ones;
    returns what was run (method, path, mode, how)."""
    schema = schemathesis.openapi.from_url(f"{url}{API}/openapi.json")
    done = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()
        method = operation.method.upper()
        variants: list[dict[str, str] | None] = [None]
        if "{area}" in operation.path:
            variants.append(REAL.get(method, {"area": "morkov"}))
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for path_parameters in variants:
                run_operation(operation, mode, path_parameters, secret, deadline)
                how = "real" if path_parameters else "drawn"
                done.append(f"{method} {operation.path} {mode.value} {how}")
    return done


def run_operation(
    operation: Any,
    mode: GenerationMode,
    path_parameters: dict[str, str] | None,
    secret: str,
    deadline: float,
) -> None:
    checks = CHECKS + ([negative_data_rejection] if mode.is_negative else [])
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=strategy)
    def check(case: Any) -> None:
        assert time.monotonic() < deadline, "over the time budget"
        case.call_and_validate(headers=bearer(secret), checks=checks, timeout=30)

    check()


async def test_the_server_does_what_its_openapi_document_says(
    site: Site, server: RunningServer
) -> None:
    site.drop("all", "kommune.jpg", jpeg((9, 9, 9)))
    secret = api_token(site)
    started = time.monotonic()
    done = await asyncio.to_thread(exercise, server.url, secret, started + BUDGET_SECONDS)
    operations = {f"{op.method} {op.template}" for group in GROUPS for op in group}
    # schemathesis leaves out the operation at the document's own URL.
    operations.discard(f"GET {API}/openapi.json")
    assert {" ".join(line.split()[:2]) for line in done} == operations


def test_the_document_names_every_route_and_only_those() -> None:
    """The document is made from the same declarations the router serves."""
    app = create()
    served = {
        (method, route.path)  # type: ignore[attr-defined]
        for route in app.routes
        for method in route.methods or ()  # type: ignore[attr-defined]
        if method != "HEAD"
    }
    documented = {
        (method.upper(), path.replace("{key}", "{key:path}"))
        for path, item in document()["paths"].items()
        for method in item
    }
    assert served == documented
    for item in document()["paths"].values():
        for operation in item.values():
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    assert answer["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }
            secured = operation.get("security") != []
            assert ("401" in operation["responses"]) is secured


@pytest.mark.parametrize("path", sorted(document()["paths"]))
def test_every_path_parameter_is_declared(path: str) -> None:
    for method, operation in document()["paths"][path].items():
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        named = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        assert declared == named, (method, path)
