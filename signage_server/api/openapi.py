"""The OpenAPI 3.1 document of the API, made from the routes' own declarations (see
routing.py); served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import __version__
from .errors import ERROR_SCHEMA
from .routing import Answer, Operation, Routes

DESCRIPTION = (
    "The JSON API of Lokalskærm, for the municipality's own systems. Every operation but "
    "this document needs a token from `signage tokens add` as `Authorization: Bearer "
    "api_…`; a token is an admin (every area) or an editor of some areas, like a user of "
    'the web UI. Errors always have the shape `{"error": {"status", "message", '
    '"field"?}}`. Messages are English, or Danish with `Accept-Language: da`. See '
    "docs/api.md."
)


def document(groups: Iterable[Routes]) -> dict[str, Any]:
    groups = list(groups)
    paths: dict[str, dict[str, Any]] = {}
    for operation in (operation for group in groups for operation in group):
        paths.setdefault(operation.template, {})[operation.method.lower()] = _operation(operation)
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for group in groups:
        schemas.update(group.schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lokalskærm API", "version": __version__, "description": DESCRIPTION},
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "security": [{"bearer": []}],
        "tags": [{"name": group.tag} for group in groups if group],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a token from `signage tokens add` (api_…)",
                }
            },
            "schemas": schemas,
        },
    }


def _operation(operation: Operation) -> dict[str, Any]:
    result: dict[str, Any] = {
        "operationId": operation.operation_id,
        "tags": [operation.tag],
        "summary": operation.summary,
    }
    if operation.description:
        result["description"] = operation.description
    if operation.parameters:
        result["parameters"] = [dict(parameter) for parameter in operation.parameters]
    if operation.body is not None:
        result["requestBody"] = dict(operation.body)
    if operation.public:
        result["security"] = []
    result["responses"] = {
        str(status): _answer(answer) for status, answer in sorted(operation.answers.items())
    }
    return result


def _answer(answer: Answer) -> dict[str, Any]:
    result: dict[str, Any] = {"description": answer.description}
    if answer.schema is not None:
        result["content"] = {"application/json": {"schema": dict(answer.schema)}}
    if answer.headers:
        result["headers"] = {name: dict(spec) for name, spec in answer.headers.items()}
    return result
