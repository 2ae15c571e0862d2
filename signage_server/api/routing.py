"""How the API's routes are declared: each handler with its OpenAPI operation beside it
(parameters, request body, answers), so that the document at ``/api/v1/openapi.json`` is
made from the same declarations the router serves and cannot drift from them.

Each resource module has its own :class:`Routes` list::

    routes = Routes("areas")

    @routes.get("/areas/{area}", summary="One area", parameters=(AREA,),
                answers={200: Answer("the area", AREA_SCHEMA)})
    async def area(request: Request) -> Response: ...

The errors an operation can give follow from what it declares (a token is needed: 401 and
403; a path parameter: 404; a body: 400, 413, 415, 422; an ``Idempotency-Key``: 409) and
are added to its answers here, all in the fixed error shape.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import DESCRIPTIONS

PREFIX = "/api/v1"
Endpoint = Callable[[Request], Awaitable[Response]]
_PATH_PARAM = re.compile(r"\{([a-z_]+)(?::[a-z]+)?\}")


@dataclass(frozen=True)
class Answer:
    """One documented answer: a description, the JSON schema of its body (None: no
    body), and the headers it always has."""

    description: str
    schema: Mapping[str, Any] | None = None
    headers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    method: str
    #: The path as the router matches it, under PREFIX (``{key:path}`` takes slashes).
    path: str
    endpoint: Endpoint
    tag: str
    summary: str
    description: str
    parameters: tuple[Mapping[str, Any], ...]
    body: Mapping[str, Any] | None
    answers: Mapping[int, Answer]
    public: bool

    @property
    def template(self) -> str:
        """The path as the OpenAPI document writes it: ``{key}``, without converters."""
        return _PATH_PARAM.sub(r"{\1}", PREFIX + self.path)

    @property
    def operation_id(self) -> str:
        return self.endpoint.__name__

    def route(self) -> Route:
        return Route(PREFIX + self.path, self.endpoint, methods=[self.method])


class Routes(list[Operation]):
    """The operations of one resource (one tag of the document)."""

    def __init__(self, tag: str, schemas: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        super().__init__()
        self.tag = tag
        #: The named schemas its answers refer to (``#/components/schemas/<name>``).
        self.schemas = dict(schemas or {})

    def get(self, path: str, **spec: Any) -> Callable[[Endpoint], Endpoint]:
        return self._add("GET", path, **spec)

    def post(self, path: str, **spec: Any) -> Callable[[Endpoint], Endpoint]:
        return self._add("POST", path, **spec)

    def patch(self, path: str, **spec: Any) -> Callable[[Endpoint], Endpoint]:
        return self._add("PATCH", path, **spec)

    def delete(self, path: str, **spec: Any) -> Callable[[Endpoint], Endpoint]:
        return self._add("DELETE", path, **spec)

    def _add(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        answers: Mapping[int, Answer],
        description: str = "",
        parameters: Iterable[Mapping[str, Any]] = (),
        body: Mapping[str, Any] | None = None,
        errors: Iterable[int] = (),
        public: bool = False,
    ) -> Callable[[Endpoint], Endpoint]:
        parameters = tuple(parameters)
        in_path = set(_PATH_PARAM.findall(path))
        declared = {p["name"] for p in parameters if p["in"] == "path"}
        if in_path != declared:
            raise ValueError(f"{method} {path}: path parameters {in_path}, declared {declared}")
        statuses = set(errors)
        if not public:
            statuses |= {401, 403}
        if in_path:
            statuses.add(404)
        if body is not None:
            statuses |= {400, 413, 415, 422}
        if any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in parameters):
            statuses |= {409, 422}
        all_answers = dict(answers)
        for status in sorted(statuses - set(all_answers)):
            all_answers[status] = error_answer(status)

        def register(endpoint: Endpoint) -> Endpoint:
            self.append(
                Operation(
                    method,
                    path,
                    endpoint,
                    self.tag,
                    summary,
                    description,
                    parameters,
                    body,
                    all_answers,
                    public,
                )
            )
            return endpoint

        return register


def error_answer(status: int) -> Answer:
    headers: dict[str, Mapping[str, Any]] = {}
    if status == 401:
        headers["WWW-Authenticate"] = {
            "description": '`Bearer`, and `error="invalid_token"` when a token was given',
            "required": True,
            "schema": {"type": "string"},
        }
    return Answer(DESCRIPTIONS[status], {"$ref": "#/components/schemas/Error"}, headers)


def path_parameter(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", **schema},
    }
