"""Write an edgeway handler as a plain Python function.

    def greet(request):
        name = request.params.get("name", "world")
        return {"message": f"Hello, {name}!"}

The function receives a `Request` and may return:

- a dict or a list: JSON, `content-type: application/json`, status 200;
- a str: `text/plain; charset=utf-8`; bytes: `application/octet-stream`;
- None: an empty 204;
- a tuple `(status, body)` or `(status, body, headers)`, the body being any of the above;
- a `Response`, for full control.

Raising `Problem(status, title, detail)` answers with that status as an RFC 9457
`application/problem+json`; any other exception answers 500 ("Handler raised an exception",
with the exception's type and message), its traceback goes to the log, and the next request
is served as usual.

A handler that receives events defines `deliver(event)` beside (or instead of) its
request function:

    def deliver(event):
        order = event.json()
        print(f"order {event.id}: {order['total']}", file=sys.stderr)

It receives an `Event` (CloudEvents 1.0). Returning (any value) means the event was handled;
raising means it was not: the gateway retries it as the subscription says, then writes it to
the dead letters. Deliveries are at least once, so use `event.id` to skip an event handled
before. `[tool.edgeway] events = "module:function"` in pyproject.toml names another function.
The events function is never taken for the request function.

`edgeway.fetch(url, timeout=...)` calls another host (one granted to the handler in
spin.toml) and returns its answer; see `edgeway._fetch`.

This module is pure Python: `edgeway_entry` binds it to the WIT contract when
`edgeway build` turns the handler into a component with componentize-py.
"""

import json as _json
import sys as _sys
import traceback as _traceback
from urllib.parse import parse_qsl as _parse_qsl

__all__ = [
    "Caller",
    "Context",
    "Event",
    "Problem",
    "Request",
    "Response",
    "call",
    "call_event",
    "fetch",
    "FetchError",
    "FetchResponse",
    "load",
    "load_events",
]


class Caller:
    """Who the route's authentication recognised: `scheme` is `api-key` or `jwt`, `name` the
    key's name or the token's subject, `claims` the token's claims (a dict)."""

    def __init__(self, scheme, name, claims):
        self.scheme = scheme
        self.name = name
        self.claims = _json.loads(claims) if claims else {}

    def __repr__(self):
        return f"Caller(scheme={self.scheme!r}, name={self.name!r})"


class Context:
    """What the gateway knows beyond HTTP: `request_id`, the matched `route`, `client_addr`,
    the `caller` (None on routes without auth) and the `traceparent` of its span."""

    def __init__(self, request_id="", route="", client_addr="", caller=None, traceparent=""):
        self.request_id = request_id
        self.route = route
        self.client_addr = client_addr
        self.caller = caller
        self.traceparent = traceparent


class Request:
    """An HTTP request, routed by the gateway.

    >>> r = Request("POST", "/py/hello/ada", "x=1&x=2&y=", [("content-type", "application/json")],
    ...             [("name", "ada")], b'{"a": 1}')
    >>> r.params["name"], r.query["x"], r.query_all["x"], r.query["y"]
    ('ada', '1', ['1', '2'], '')
    >>> r.headers["content-type"], r.json()["a"], r.text()
    ('application/json', 1, '{"a": 1}')
    """

    def __init__(self, method, path, query_string, headers, params, body, context=None):
        self.method = method
        #: The path as received, still percent-encoded.
        self.path = path
        #: The raw query string, without `?`.
        self.query_string = query_string
        pairs = _parse_qsl(query_string, keep_blank_values=True)
        #: Query parameters, decoded; the first value of each name.
        self.query = {}
        #: Query parameters, decoded; every value of each name.
        self.query_all = {}
        for name, value in pairs:
            self.query.setdefault(name, value)
            self.query_all.setdefault(name, []).append(value)
        #: The headers in the order received, as (lowercase name, value) pairs.
        self.header_list = [(name, value) for name, value in headers]
        #: The headers by lowercase name; repeated headers joined with ", ".
        self.headers = {}
        for name, value in self.header_list:
            if name in self.headers:
                self.headers[name] += ", " + value
            else:
                self.headers[name] = value
        #: The route parameters, decoded (`...` holds a wildcard's rest).
        self.params = dict(params)
        self.body = bytes(body)
        self.context = context or Context()

    @classmethod
    def from_wit(cls, request):
        """Wraps the contract's `request` record."""
        wit = request.context
        caller = None
        if wit.caller is not None:
            caller = Caller(wit.caller.scheme, wit.caller.name, wit.caller.claims)
        context = Context(wit.request_id, wit.route, wit.client_addr, caller, wit.traceparent)
        return cls(
            request.method,
            request.path,
            request.query,
            request.headers,
            request.params,
            request.body,
            context,
        )

    def text(self):
        """The body as text (UTF-8; invalid bytes become U+FFFD)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        """The body as JSON; a body that is not JSON raises a 400 `Problem`."""
        try:
            return _json.loads(self.body)
        except ValueError as error:
            raise Problem(400, "Invalid JSON body", str(error)) from None

    def __repr__(self):
        return f"Request({self.method} {self.path})"


class Response:
    """A full response: `Response(body, status=200, headers=None)`.

    The body is converted like a function's return value (dict/list → JSON, str → text, ...);
    a `content-type` in `headers` wins over the one the body implies.

    >>> Response({"ok": True}, status=201, headers={"x-id": "7"}).parts()
    (201, [('content-type', 'application/json'), ('x-id', '7')], b'{"ok":true}')
    """

    def __init__(self, body=b"", status=200, headers=None):
        self.body = body
        self.status = status
        self.headers = headers or {}

    def parts(self):
        """`(status, [(name, value)], body bytes)`."""
        content_type, body = _encode(self.body)
        extra = _header_pairs(self.headers)
        headers = [] if content_type is None else [("content-type", content_type)]
        if any(name == "content-type" for name, _ in extra):
            headers = []
        return self.status, headers + extra, body


class Problem(Exception):
    """Raise to answer with an RFC 9457 problem: `raise Problem(404, "No such item", "...")`."""

    def __init__(self, status, title, detail=""):
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail


def _header_pairs(headers):
    items = headers.items() if hasattr(headers, "items") else headers
    return [(str(name).lower(), str(value)) for name, value in items]


def _encode(body):
    """`(content type or None, bytes)` for a body value."""
    if isinstance(body, (dict, list)):
        text = _json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        return "application/json", text.encode()
    if isinstance(body, str):
        return "text/plain; charset=utf-8", body.encode()
    if isinstance(body, (bytes, bytearray, memoryview)):
        return "application/octet-stream", bytes(body)
    if body is None:
        return None, b""
    raise TypeError(f"cannot send a {type(body).__name__} as a response body")


def response_parts(result):
    """Turns what a handler function returned into `(status, [(name, value)], body)`.

    >>> response_parts({"message": "hi"})
    (200, [('content-type', 'application/json')], b'{"message":"hi"}')
    >>> response_parts((404, "nope"))
    (404, [('content-type', 'text/plain; charset=utf-8')], b'nope')
    >>> response_parts(None)
    (204, [], b'')
    """
    if isinstance(result, Response):
        return result.parts()
    if isinstance(result, tuple):
        if len(result) not in (2, 3) or not isinstance(result[0], int):
            raise TypeError("return (status, body) or (status, body, headers)")
        headers = result[2] if len(result) == 3 else None
        return Response(result[1], result[0], headers).parts()
    if result is None:
        return 204, [], b""
    return Response(result).parts()


def call(function, request):
    """Calls `function(request)`: `(status, headers, body)`, or a `Problem` for a raised one
    and for any other exception (500, its traceback printed to stderr).

    >>> def boom(request): raise KeyError("name")
    >>> p = call(boom, Request("GET", "/", "", [], [], b""))  # the traceback goes to stderr
    >>> p.status, p.title, p.detail
    (500, 'Handler raised an exception', "KeyError: 'name'")
    """
    try:
        return response_parts(function(request))
    except Problem as problem:
        return problem
    except Exception as error:  # noqa: BLE001 - every failure becomes a 500 problem
        _traceback.print_exc(file=_sys.stderr)
        detail = f"{type(error).__name__}: {error}"
        return Problem(500, "Handler raised an exception", detail)


def load(module_name, function_name=None, exclude=()):
    """Finds the handler function: `module.function_name`, else `module.handler`, else the
    one public function the module defines, not counting the functions in `exclude` (the
    one that receives events)."""
    import importlib

    module = importlib.import_module(module_name)
    if function_name:
        return getattr(module, function_name)
    if callable(getattr(module, "handler", None)):
        return module.handler
    functions = [
        value
        for name, value in vars(module).items()
        if callable(value)
        and not name.startswith("_")
        and name not in exclude
        and getattr(value, "__module__", None) == module.__name__
        and not isinstance(value, type)
    ]
    if len(functions) != 1:
        names = ", ".join(f.__name__ for f in functions) or "none"
        raise LookupError(
            f"cannot tell which function of `{module_name}` handles requests (public functions: "
            f"{names}); name it `handler`, or set `handler = \"{module_name}:<function>\"` "
            "under [tool.edgeway] in pyproject.toml"
        )
    return functions[0]


class Event:
    """An event, shaped after CloudEvents 1.0: `id` (the same across retries), `source`,
    `type`, `subject`, `time` (RFC 3339), `data_content_type` (None when not given), `data`
    (bytes) and `extensions` (a dict by lowercase name: `traceparent`, ...).

    >>> e = Event("e-1", "webhook:orders", "com.example.order.created", data=b'{"total": 3}',
    ...           data_content_type="application/json", extensions=[("partitionkey", "eu")])
    >>> e.json()["total"], e.text(), e.extensions["partitionkey"]
    (3, '{"total": 3}', 'eu')
    """

    def __init__(
        self,
        id,
        source,
        type,
        subject=None,
        time=None,
        data_content_type=None,
        data=b"",
        extensions=(),
    ):
        self.id = id
        self.source = source
        self.type = type
        self.subject = subject
        self.time = time
        self.data_content_type = data_content_type
        self.data = bytes(data)
        self.extensions = dict(extensions)

    @classmethod
    def from_wit(cls, event):
        """Wraps the contract's `event` record."""
        return cls(
            event.id,
            event.source,
            event.type,
            event.subject,
            event.time,
            event.data_content_type,
            event.data,
            event.extensions,
        )

    def text(self):
        """The data as text (UTF-8; invalid bytes become U+FFFD)."""
        return self.data.decode("utf-8", errors="replace")

    def json(self):
        """The data as JSON; data that is not JSON raises `ValueError` (so the delivery
        fails and is retried)."""
        return _json.loads(self.data)

    def __repr__(self):
        return f"Event({self.type} {self.id})"


def call_event(function, event):
    """Calls `function(event)`: None when it returns, else the error to report (its type and
    message; the traceback goes to stderr).

    >>> def refuse(event): raise RuntimeError("not today")
    >>> call_event(refuse, Event("e-1", "schedule:nightly", "edgeway.schedule"))
    'RuntimeError: not today'
    >>> call_event(lambda event: "ignored", Event("e-2", "s", "t")) is None
    True
    """
    try:
        function(event)
        return None
    except Exception as error:  # noqa: BLE001 - every failure is reported to the gateway
        _traceback.print_exc(file=_sys.stderr)
        return f"{type(error).__name__}: {error}"


def load_events(module_name, function_name=None):
    """Finds the function that receives events: `module.function_name`, else
    `module.deliver`."""
    import importlib

    module = importlib.import_module(module_name)
    function = getattr(module, function_name or "deliver", None)
    if not callable(function):
        raise LookupError(
            f"`{module_name}` has no function `{function_name or 'deliver'}` to receive events; "
            "define `def deliver(event)`, or set `events = \"<module>:<function>\"` under "
            "[tool.edgeway] in pyproject.toml"
        )
    return function


# Outbound HTTP (`edgeway.fetch`); imported last, as it builds on `Problem`.
from ._fetch import FetchError, FetchResponse, fetch  # noqa: E402
