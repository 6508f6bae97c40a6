"""`/openapi.json`: every route with its real path, parameters, bodies, answers, problems and auth.

quart-schema builds the document; this provider corrects what it gets wrong for this app
(its path pattern swallows `<org>/forums/<uuid:forum_id>` into one parameter, operation ids
collide across blueprints, answers and problems are missing) and adds what a client
generator needs: a bearer scheme, per-route security, and problem+json responses.

Routes declare what they answer with `@answers(Model, status)` and who may call them with
`@public` / `@optional_auth` (the default under `/api` is a bearer token). With
`VALIDATE_RESPONSES` on (the tests turn it on) every answer is checked against its
declaration, so the document cannot drift from what the server sends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, Literal, TypeVar

import structlog
from pydantic import BaseModel, TypeAdapter, ValidationError
from quart import Response, current_app, request
from quart_schema import OpenAPIProvider
from quart_schema.typing import Model
from quart_schema.validation import (
    QUART_SCHEMA_QUERYSTRING_ATTRIBUTE,
    QUART_SCHEMA_REQUEST_ATTRIBUTE,
    QuerystringValidationError,
)
from werkzeug.routing import Rule
from werkzeug.routing.converters import BaseConverter, UUIDConverter

from community.domain.reactions import REACTIONS
from community.http.models import Problem

log = structlog.get_logger("community.http")
F = TypeVar("F", bound=Callable[..., Any])
Auth = Literal["bearer", "optional", "none"]

_ANSWERS = "_community_answers"
_AUTH = "_community_auth"
_PROBLEMS = "_community_problems"
_PARAM = re.compile(r"<(?:[^:<>]*:)?([^<>]+)>")
BEARER = "bearer"

PROBLEM_STATUSES: dict[int, str] = {
    400: "The body is not JSON, or the request is malformed.",
    401: "No token, a bad or expired token, or a revoked session.",
    402: "The organization's seat limit or plan does not allow it.",
    403: "The caller's role does not allow it.",
    404: "Not found, or not visible to the caller (another org's ids answer the same).",
    409: "Conflicts with the current state (duplicate, already done).",
    410: "Expired or already used.",
    413: "The body is too large.",
    415: "The file's type is not accepted, or its bytes are not what its type says.",
    416: "The requested range is not in the file.",
    422: "Validation failed; `errors` names every failing field.",
    429: "Rate limited; retry after `Retry-After` seconds.",
    503: "A dependency (the database) is unavailable; retry after `Retry-After` seconds.",
}


def answers(model: type[BaseModel] | None, status: int = 200, *,
            media_type: str = "application/json") -> Callable[[F], F]:
    """Declare an answer: a JSON model, `None` for an empty one (204), or a non-JSON `media_type`."""

    def decorator(func: F) -> F:
        declared: dict[int, tuple[type[BaseModel] | None, str]] = dict(getattr(func, _ANSWERS, {}))
        declared[status] = (model, media_type)
        setattr(func, _ANSWERS, declared)
        return func

    return decorator


def validate_querystring(model_class: type[BaseModel]) -> Callable[[F], F]:
    """quart-schema's `validate_querystring` (same document, same 400/422 path), with the validator
    built once: quart-schema builds a pydantic `TypeAdapter` at every request (~50 µs, issue 12)."""
    adapter = TypeAdapter(model_class)

    def decorator(func: F) -> F:
        setattr(func, QUART_SCHEMA_QUERYSTRING_ATTRIBUTE, model_class)

        @wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            query: dict[str, Any] = {}
            for key in request.args:
                values = request.args.getlist(key)
                query[key.removesuffix("[]")] = values if key.endswith("[]") or len(values) > 1 else values[0]
            try:
                model = adapter.validate_python(query)
            except (TypeError, ValidationError, ValueError) as error:
                raise QuerystringValidationError(error) from None
            return await func(*args, query_args=model, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def problems(*statuses: int) -> Callable[[F], F]:
    """Problem answers beyond those every route of its kind can give (e.g. 409, 402, 410, 429)."""

    def decorator(func: F) -> F:
        setattr(func, _PROBLEMS, set(getattr(func, _PROBLEMS, set())) | set(statuses))
        return func

    return decorator


def public(func: F) -> F:
    """Callable without a token (a token is ignored)."""
    setattr(func, _AUTH, "none")
    return func


def optional_auth(func: F) -> F:
    """Anonymous callers get the public view; a token, when sent, is verified."""
    setattr(func, _AUTH, "optional")
    return func


def route_auth(rule: Rule, func: Callable[..., Any]) -> Auth:
    declared: Auth | None = getattr(func, _AUTH, None)
    if declared is not None:
        return declared
    return "bearer" if rule.rule.startswith("/api/") else "none"


def declared_answers(func: Callable[..., Any]) -> dict[int, tuple[type[BaseModel] | None, str]]:
    found: dict[int, tuple[type[BaseModel] | None, str]] = getattr(func, _ANSWERS, {})
    return found


def openapi_path(rule: Rule) -> str:
    return _PARAM.sub(r"{\1}", rule.rule)


class CommunityOpenAPI(OpenAPIProvider):
    def schema(self) -> dict[str, Any]:
        document = super().schema()
        components = document["components"]
        components["schemas"].update(_problem_schemas())
        components["responses"] = {str(status): _problem_response(text) for status, text in PROBLEM_STATUSES.items()}
        components["securitySchemes"] = {BEARER: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                                  "description": "A built-in or Auth0 access token."}}
        _exact_input(document)
        return document

    def build_paths(self, rule: Rule) -> tuple[dict[str, Any], dict[str, Any]]:
        built, components = super().build_paths(rule)
        func = self._app.view_functions[rule.endpoint]
        (operations,) = built.values()
        path = openapi_path(rule)
        auth = route_auth(rule, func)
        for method, operation in operations.items():
            operation["operationId"] = _operation_id(rule, method)
            operation["responses"] = self._responses(rule, func, auth, components)
            operation["security"] = _security(auth)
            operation["tags"] = [rule.endpoint.partition(".")[0]]
        return {path: operations}, components

    def build_path_parameter(self, name: str, converter: BaseConverter) -> dict[str, Any]:
        parameter = super().build_path_parameter(name, converter)
        if isinstance(converter, UUIDConverter):
            parameter["schema"] = {"type": "string", "format": "uuid"}
        elif name == "emoji":  # a reaction: one of the set (posts and messages)
            parameter["schema"] = {"type": "string", "enum": list(REACTIONS)}
        return parameter

    def build_querystring_parameters(self, model: type[Model]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """quart-schema drops `required`; and a query value is never null (absent is its None)."""
        parameters, definitions = super().build_querystring_parameters(model)
        required = set(model_schema_required(model))
        for parameter in parameters:
            if parameter["name"] in required:
                parameter["required"] = True
            options = parameter["schema"].get("anyOf")
            if options and {"type": "null"} in options:
                rest = [option for option in options if option != {"type": "null"}]
                parameter["schema"] = {**{k: v for k, v in parameter["schema"].items() if k != "anyOf"},
                                       **(rest[0] if len(rest) == 1 else {"anyOf": rest})}
                if parameter["schema"].get("default", "") is None:
                    del parameter["schema"]["default"]
        return parameters, definitions

    def build_request_body(self, model: type[Model], source: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        body, found = super().build_request_body(model, source)
        for media in body["content"].values():
            found[_name(model)] = media["schema"]
            media["schema"] = {"$ref": f"#/components/schemas/{_name(model)}"}
        body["required"] = True
        return body, found

    def build_response_object(self, model: type[Model],
                              headers_model: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """Named answers land in components, so clients get `components["schemas"]["TopicPage"]`."""
        response, found = super().build_response_object(model, headers_model)
        media = response["content"]["application/json"]
        found[_name(model)] = media["schema"]
        media["schema"] = {"$ref": f"#/components/schemas/{_name(model)}"}
        return response, found

    def _responses(self, rule: Rule, func: Callable[..., Any], auth: Auth,
                   components: dict[str, Any]) -> dict[str, Any]:
        responses: dict[str, Any] = {}
        for status, (model, media_type) in sorted(declared_answers(func).items()):
            if model is None:
                content = {} if status == 204 else {media_type: {"schema": {"type": "string"}}}
                responses[str(status)] = {"description": _STATUS_TEXT.get(status, "OK"), **(
                    {"content": content} if content else {})}
                continue
            response, found = self.build_response_object(model, None)
            response["description"] = response["description"] or _STATUS_TEXT.get(status, "OK")
            responses[str(status)] = response
            components.update(found)
        for status in sorted(_problem_statuses(rule, func, auth)):
            responses[str(status)] = {"$ref": f"#/components/responses/{status}"}
        responses["default"] = _problem_response("An unexpected error (5xx).")
        return responses


# Formats whose own definition leaves no NUL (and the semantic ones, domain/input.py, that say all of it).
_CHECKED_FORMATS = {"uuid", "email", "date-time", "date", "uri", "binary", "password", "time-zone", "cursor", "tag",
                    "white-text-colour", "rrule"}
_NO_NUL = r"[^\x00]"
_SOLID = r"[^\s\x00]"


def text_pattern(min_length: int) -> str:
    """What a string of the input may be: no NUL anywhere (http/guards.py refuses it in every body, query
    and path), and, after stripping (Body strips every string), at least `min_length` characters left."""
    if min_length <= 0:
        return f"^{_NO_NUL}*$"
    if min_length == 1:
        return f"^{_NO_NUL}*{_SOLID}{_NO_NUL}*$"
    return f"^{_NO_NUL}*{_SOLID}{_NO_NUL}{{{min_length - 2},}}{_SOLID}{_NO_NUL}*$"


def _exact_input(document: dict[str, Any]) -> None:
    """Input strings as the server takes them: the guard's NUL rule and Body's stripping, written as
    `pattern`s (pydantic's constraints say only the length before stripping)."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    bodies: set[str] = set()
    for operations in document["paths"].values():
        for operation in operations.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _refs(media["schema"], schemas, bodies)
            for parameter in operation.get("parameters", []):
                _strings(parameter["schema"], strip=False)
    for name in sorted(bodies):
        _strings(schemas[name], strip=True)


def _refs(schema: Any, schemas: dict[str, Any], found: set[str]) -> None:
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if ref.startswith("#/components/schemas/") and (name := ref.rsplit("/", 1)[1]) not in found:
            found.add(name)
            _refs(schemas[name], schemas, found)
        for value in schema.values():
            _refs(value, schemas, found)
    elif isinstance(schema, list):
        for value in schema:
            _refs(value, schemas, found)


def _strings(schema: Any, *, strip: bool) -> None:
    if isinstance(schema, list):
        for value in schema:
            _strings(value, strip=strip)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not ({"enum", "const"} & schema.keys()) and schema.get(
            "format") not in _CHECKED_FORMATS:
        pattern = schema.get("pattern")
        if pattern is None or pattern == r"\S":
            least = max(schema.get("minLength", 0), 1 if pattern else 0)
            schema["pattern"] = text_pattern(least if strip or pattern else 0)
    if schema.get("type") == "object" and schema.get("additionalProperties") not in (None, False) \
            and "propertyNames" not in schema:
        schema["propertyNames"] = {"pattern": text_pattern(0)}
    for key, value in schema.items():
        if key not in ("enum", "const", "default", "examples", "example"):
            _strings(value, strip=strip)


def model_schema_required(model: object) -> list[str]:
    """The fields a model requires, by their names in the document."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [field.alias or name for name, field in model.model_fields.items() if field.is_required()]
    return []


def _name(model: object) -> str:
    return str(getattr(model, "__name__", "Model"))


_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content", 302: "Redirect"}


def _problem_statuses(rule: Rule, func: Callable[..., Any], auth: Auth) -> set[int]:
    statuses: set[int] = set(getattr(func, _PROBLEMS, set()))
    if hasattr(func, QUART_SCHEMA_REQUEST_ATTRIBUTE):
        statuses |= {400, 413, 422}
    if hasattr(func, QUART_SCHEMA_QUERYSTRING_ATTRIBUTE):
        statuses.add(422)
    if auth != "none":
        statuses.add(401)
    if rule.arguments:
        statuses.add(404)
    if "org" in rule.arguments and auth != "none":
        statuses.add(403)
    if rule.rule.startswith("/api/"):
        statuses.add(503)
    return statuses


def _operation_id(rule: Rule, method: str) -> str:
    blueprint, _, name = rule.endpoint.rpartition(".")
    methods = [m for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS")]
    suffix = f"_{method.lower()}" if len(methods) > 1 else ""
    return f"{blueprint}_{name}{suffix}" if blueprint else f"{name}{suffix}"


def _security(auth: Auth) -> list[dict[str, list[str]]]:
    bearer: dict[str, list[str]] = {BEARER: []}
    return {"bearer": [bearer], "optional": [{}, bearer], "none": []}[auth]


def _problem_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    defs: dict[str, Any] = schema.pop("$defs", {})
    return {**defs, "Problem": schema}


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


async def check_answer(response: Response) -> Response:
    """After each request (VALIDATE_RESPONSES): the answer must be one its route declares."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or request.endpoint in _UNCHECKED or request.method in ("HEAD", "OPTIONS"):
        return response
    status = response.status_code
    declared = declared_answers(view)
    if status >= 400 and status not in declared:
        return await _check_problem(response)
    if status not in declared:
        return _mismatch(f"status {status} is not declared", [])
    model, media_type = declared[status]
    if model is None:
        # "*/*": a file answers in its own type (the local file backend's downloads).
        return response if status == 204 or media_type in (response.mimetype, "*/*") else _mismatch(
            f"answered {response.mimetype}, declared {media_type}", [])
    try:
        model.model_validate_json(await response.get_data())
    except ValidationError as exc:
        return _mismatch(f"does not match {model.__name__}", exc.errors(include_url=False, include_input=False))
    return response


async def _check_problem(response: Response) -> Response:
    if response.mimetype != "application/problem+json":
        return _mismatch(f"error {response.status_code} is not application/problem+json", [])
    try:
        Problem.model_validate_json(await response.get_data())
    except ValidationError as exc:
        return _mismatch("the problem body does not match Problem", exc.errors(include_url=False))
    return response


def _mismatch(reason: str, errors: list[Any]) -> Response:
    log.error("http.answer_undeclared", method=request.method, endpoint=request.endpoint, reason=reason,
              errors=[{"loc": e["loc"], "msg": e["msg"]} for e in errors][:20])
    body = {"type": "about:blank", "title": "Undeclared answer", "status": 500, "code": "answer_undeclared",
            "detail": f"the answer does not match /openapi.json: {reason}"}
    return Response(json.dumps(body), status=500, content_type="application/problem+json")


# The browser app's files (web.app_file) are not API answers: hidden from the document, not checked.
_UNCHECKED = {"openapi", "swagger_ui", "static", "web.app_file", "docs.page", "docs.asset"}
