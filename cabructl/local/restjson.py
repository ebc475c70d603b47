"""Serve a rest-json AWS API straight from its botocore service model.

cabructl adds APIs that moto lacks behind moto's endpoint. Routes, request
members and response shapes are read from botocore's own model instead of being
hand-copied, so the real boto3 client parses every response, and a botocore
upgrade that changes the API fails a test instead of drifting silently. Service
code only supplies handlers: ``operation name -> (context, params) -> output``,
where params and output use the member names boto3 users see (``RegistryName``),
never the wire names (``tags``).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import unquote, urlsplit

from botocore.model import OperationModel, ServiceModel, Shape
from botocore.validate import ParamValidator
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

log = logging.getLogger(__name__)

Params = dict[str, Any]


@dataclass(frozen=True)
class RequestContext:
    """Who is calling and where: the account and region an AWS service would scope state to."""

    account_id: str
    region: str


Handler = Callable[[RequestContext, Params], "Params | None"]
ContextOf = Callable[[Request], RequestContext]


class ApiError(Exception):
    """An error the service itself returns; ``code`` names a modelled error shape when one exists."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Route:
    """One operation's HTTP binding: its method and a regex over the raw (still percent-encoded) path."""

    operation: OperationModel
    method: str
    pattern: re.Pattern[str]
    labels: tuple[str, ...]
    literal_length: int

    def match(self, method: str, raw_path: str) -> dict[str, str] | None:
        """URI labels by name, decoded, if this route serves the request."""
        if method != self.method:
            return None
        found = self.pattern.fullmatch(raw_path)
        if found is None:
            return None
        return {label: unquote(value) for label, value in zip(self.labels, found.groups())}


_LABEL = re.compile(r"\{([^}]+)\}")


def compile_route(operation: OperationModel) -> Route:
    """Turn ``/v1/registries/name/{registryName}`` into a route.

    Labels are matched on the raw path because botocore percent-encodes ``/`` inside
    a label (an ARN in ``/tags/{resource-arn}``); a decoded path would split it.
    ``{Key+}`` labels are greedy and may span ``/``. A literal query in the
    requestUri is ignored: no operation of the services served here has one.
    """
    template = urlsplit(operation.http["requestUri"]).path
    labels: list[str] = []
    regex = ""
    position = 0
    for label in _LABEL.finditer(template):
        regex += re.escape(template[position : label.start()])
        name = label.group(1)
        greedy = name.endswith("+")
        labels.append(name.rstrip("+"))
        regex += "(.+)" if greedy else "([^/]+)"
        position = label.end()
    regex += re.escape(template[position:])
    literal_length = len(_LABEL.sub("", template))
    return Route(operation, operation.http["method"], re.compile(regex + "/?"), tuple(labels), literal_length)


class RestJsonService:
    """A WSGI application answering one AWS rest-json service with the given handlers.

    Every operation of the model is routed, so a call to one without a handler gets
    a clear ``NotImplemented`` (501) naming it rather than a confusing 404.
    """

    def __init__(self, model: ServiceModel, handlers: Mapping[str, Handler], context_of: ContextOf) -> None:
        unknown = set(handlers) - set(model.operation_names)
        if unknown:
            raise ValueError(f"handlers for operations {model.service_name} does not have: {sorted(unknown)}")
        self.model = model
        self._handlers = dict(handlers)
        self._context_of = context_of
        routes = (compile_route(model.operation_model(name)) for name in model.operation_names)
        # Most specific first, so a literal segment wins over a label that could match it.
        self._routes = sorted(routes, key=lambda route: -route.literal_length)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        """Route, parse, call the handler and serialise; every failure becomes an AWS-shaped error."""
        try:
            route, labels = self._route(request)
            handler = self._handler(route.operation)
            params = parse_input(route.operation, labels, request)
            output = handler(self._context_of(request), params)
            return output_response(route.operation, output)
        except ApiError as error:
            return self.error_response(error)
        except Exception as error:  # noqa: BLE001 - a bug here must still reach the client as a 500
            log.exception("%s: internal error", self.model.service_name)
            return self.error_response(ApiError("InternalServerErrorException", f"{type(error).__name__}: {error}", 500))

    def error_response(self, error: ApiError) -> Response:
        """The error body botocore expects: ``{"Code", "Message"}`` plus ``x-amzn-ErrorType``."""
        body = {"Code": error.code, "Message": error.message}
        if error.code not in self.model.shape_names:
            return _json_response(body, error.status or 400, {"x-amzn-ErrorType": error.code})
        shape = self.model.shape_for(error.code)
        status = error.status or shape.metadata.get("error", {}).get("httpStatusCode", 400)
        modelled = {name: value for name, value in body.items() if name in shape.members}
        return _json_response(to_wire(modelled, shape), status, {"x-amzn-ErrorType": error.code})

    def _route(self, request: Request) -> tuple[Route, dict[str, str]]:
        raw_path = urlsplit(request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path).path
        for route in self._routes:
            labels = route.match(request.method, raw_path)
            if labels is not None:
                return route, labels
        message = f"no {self.model.service_name} operation for {request.method} {raw_path}"
        raise ApiError("UnknownOperationException", message, 404)

    def _handler(self, operation: OperationModel) -> Handler:
        handler = self._handlers.get(operation.name)
        if handler is None:
            message = f"the local endpoint does not implement {self.model.service_name}:{operation.name}"
            raise ApiError("NotImplemented", message, 501)
        return handler


def parse_input(operation: OperationModel, labels: Mapping[str, str], request: Request) -> Params:
    """The request as boto3 kwargs: members gathered from path, query, headers and JSON body."""
    shape = operation.input_shape
    if shape is None:
        return {}
    body = _json_body(request)
    params: Params = {}
    for name, member in shape.members.items():
        value = _member_value(name, member, labels, request, body)
        if value is not None:
            params[name] = value
    _validate(params, shape)
    return params


def _json_body(request: Request) -> dict[str, Any]:
    data = request.get_data()
    if not data:
        return {}
    try:
        body = json.loads(data)
    except ValueError as error:
        raise ApiError("BadRequestException", f"request body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise ApiError("BadRequestException", "request body must be a JSON object")
    return body


def _member_value(name: str, member: Shape, labels: Mapping[str, str], request: Request, body: Mapping[str, Any]) -> Any:
    wire = member.serialization.get("name", name)
    location = member.serialization.get("location")
    if location == "uri":
        return labels.get(wire)
    if location == "querystring":
        return _query_value(request.args, wire, member)
    if location == "header":
        return request.headers.get(wire)
    return from_wire(body[wire], member) if wire in body else None


def _query_value(query: MultiDict, wire: str, member: Shape) -> Any:
    if member.type_name == "list":
        values = query.getlist(wire)
        return values or None
    value = query.get(wire)
    if value is None:
        return None
    if member.type_name in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            raise ApiError("BadRequestException", f"{wire} must be an integer, not {value!r}") from None
    if member.type_name == "boolean":
        return value.lower() == "true"
    return value


def _validate(params: Params, shape: Shape) -> None:
    """botocore's own client-side checks, plus enums, which botocore leaves to the service."""
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise ApiError("BadRequestException", report.generate_report())
    for name, value in params.items():
        allowed = shape.members[name].metadata.get("enum")
        if allowed and value not in allowed:
            raise ApiError("BadRequestException", f"{name} must be one of {', '.join(allowed)}, not {value!r}")


def from_wire(value: Any, shape: Shape) -> Any:
    """A JSON body value with wire member names turned back into model member names."""
    if shape.type_name == "structure" and isinstance(value, dict):
        by_wire = {member.serialization.get("name", name): (name, member) for name, member in shape.members.items()}
        return {by_wire[key][0]: from_wire(item, by_wire[key][1]) for key, item in value.items() if key in by_wire}
    if shape.type_name == "list" and isinstance(value, list):
        return [from_wire(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: from_wire(item, shape.value) for key, item in value.items()}
    return value


def output_response(operation: OperationModel, output: Params | None) -> Response:
    """The operation's modelled status code, with header members as headers and the rest as JSON."""
    status = operation.http.get("responseCode", 200)
    shape = operation.output_shape
    if shape is None or not output:
        return Response(b"", status=status) if status == 204 else _json_response({}, status)
    headers = {
        member.serialization.get("name", name): str(output[name])
        for name, member in shape.members.items()
        if member.serialization.get("location") == "header" and output.get(name) is not None
    }
    body = {name: value for name, value in output.items() if name not in _header_members(shape)}
    return _json_response(to_wire(body, shape), status, headers)


def _header_members(shape: Shape) -> set[str]:
    return {name for name, member in shape.members.items() if member.serialization.get("location") == "header"}


def to_wire(value: Any, shape: Shape) -> Any:
    """A handler's output in the service's wire format; ``None`` members are left out.

    A member the model does not have is a bug in the handler, so it raises rather
    than sending something boto3 would silently drop.
    """
    if shape.type_name == "structure":
        unknown = set(value) - set(shape.members)
        if unknown:
            raise TypeError(f"{shape.name} has no members {sorted(unknown)}")
        return {
            member.serialization.get("name", name): to_wire(value[name], member)
            for name, member in shape.members.items()
            if value.get(name) is not None
        }
    if shape.type_name == "list":
        return [to_wire(item, shape.member) for item in value]
    if shape.type_name == "map":
        return {key: to_wire(item, shape.value) for key, item in value.items()}
    if shape.type_name == "timestamp":
        return _timestamp(value, shape.serialization.get("timestampFormat", "unixTimestamp"))
    return value


def _timestamp(value: datetime, timestamp_format: str) -> Any:
    value = value.astimezone(timezone.utc)
    if timestamp_format == "iso8601":
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if timestamp_format == "rfc822":
        return format_datetime(value, usegmt=True)
    return value.timestamp()


def _json_response(body: Any, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=dict(headers or {}), content_type="application/json")
