"""Outbound HTTP from a handler: `edgeway.fetch`, a small blocking client in the spirit of
`urllib.request.urlopen`, over `wasi:http/outgoing-handler` as Spin provides it.

    answer = edgeway.fetch("https://api.example.com/today", timeout=2)
    return answer.status, answer.json()

A handler may call only the hosts its entry in spin.toml grants it
(`allowed_outbound_hosts = ["https://api.example.com"]`): `edgeway build` then builds it for
a world with these imports. Every request has a deadline (`timeout`, in seconds) covering
the connection, the answer and its body. Failures raise a `FetchError`, which is a `Problem`:
left uncaught, a timeout answers 504, an unreachable upstream 502 and a host the handler was
not granted 500.
"""

from urllib.parse import urlsplit as _urlsplit

from . import Problem

DEFAULT_TIMEOUT = 10.0


class FetchError(Problem):
    """A request that got no answer; `url` is the URL it was sent to."""

    def __init__(self, status, title, url, detail):
        super().__init__(status, title, detail)
        self.url = url


class Denied(FetchError):
    """The host is not among the handler's `allowed_outbound_hosts`."""

    def __init__(self, url):
        super().__init__(500, "Outbound request refused", url,
                         f"{url} is not among this handler's allowed_outbound_hosts")


class Timeout(FetchError):
    """The deadline passed first."""

    def __init__(self, url):
        super().__init__(504, "Upstream timed out", url, f"{url} did not answer in time")


class Unreachable(FetchError):
    """The host could not be reached, or the exchange failed."""

    def __init__(self, url, why):
        super().__init__(502, "Upstream unreachable", url, f"{url} cannot be reached: {why}")


class FetchResponse:
    """An upstream's answer, read whole: `status`, `headers` (lowercase names, in order),
    and the body through `read()`, `text()` and `json()`."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self._body = body

    def getheader(self, name, default=None):
        """The first header called `name` (case-insensitive)."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), default)

    def read(self):
        return self._body

    def text(self):
        return self._body.decode("utf-8", "replace")

    def json(self):
        import json

        return json.loads(self._body)

    def __repr__(self):
        return f"FetchResponse(status={self.status}, {len(self._body)} bytes)"


# Imported when the module is, which componentize-py does while it builds the component: the
# bindings it generates exist only then, so an import inside `fetch` would fail at run time.
try:
    from wit_world.imports import monotonic_clock, outgoing_handler, poll, streams, types

    _BINDINGS = (monotonic_clock, outgoing_handler, poll, streams, types)
except ImportError:  # not built for an `outbound-` world (or run natively, in unit tests)
    _BINDINGS = None


def _bindings():
    if _BINDINGS is None:
        raise RuntimeError(
            "this handler is not built to call other hosts: list the hosts it calls in its "
            "`allowed_outbound_hosts` in spin.toml"
        )
    return _BINDINGS


def fetch(url, *, method="GET", headers=None, body=None, timeout=DEFAULT_TIMEOUT):
    """Sends a request and reads the whole answer, blocking until it is in or `timeout`
    seconds have passed. `body` is bytes or str; `headers` a dict or (name, value) pairs."""
    monotonic_clock, outgoing_handler, poll, streams, types = _bindings()
    from componentize_py_types import Err

    parts = _urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FetchError(500, "Outbound request refused", url,
                         f"`{url}` is not an http or https URL")
    nanos = int(timeout * 1e9)
    items = headers.items() if hasattr(headers, "items") else (headers or ())
    fields = types.Fields.from_list([(str(k).lower(), str(v).encode()) for k, v in items])
    outgoing = types.OutgoingRequest(fields)
    outgoing.set_method(_method(types, method.upper()))
    outgoing.set_scheme(types.Scheme_Http() if parts.scheme == "http" else types.Scheme_Https())
    outgoing.set_authority(parts.netloc)
    outgoing.set_path_with_query((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    options = types.RequestOptions()
    for set_timeout in (options.set_connect_timeout, options.set_first_byte_timeout,
                        options.set_between_bytes_timeout):
        try:
            set_timeout(nanos)
        except Err:
            pass  # A host that cannot time out on its own still has our deadline.
    data = body.encode() if isinstance(body, str) else (body or b"")

    with monotonic_clock.subscribe_duration(nanos) as deadline:

        def wait(pollable):
            with pollable:
                if 0 not in poll.poll([pollable, deadline]):
                    raise Timeout(url)

        outgoing_body = outgoing.body()
        try:
            future = outgoing_handler.handle(outgoing, options)
        except Err as error:
            raise _error(types, url, error.value) from None
        with future:
            with outgoing_body.write() as stream:
                for start in range(0, len(data), 4096):
                    stream.blocking_write_and_flush(data[start:start + 4096])
            types.OutgoingBody.finish(outgoing_body, None)
            while (outcome := future.get()) is None:
                wait(future.subscribe())
        outcome = outcome.value
        if isinstance(outcome, Err):
            raise _error(types, url, outcome.value)
        with outcome.value as response:
            status = response.status()
            with response.headers() as fields:
                answer_headers = [(k, v.decode("utf-8", "replace")) for k, v in fields.entries()]
            with response.consume() as incoming, incoming.stream() as stream:
                chunks = []
                while True:
                    try:
                        chunk = stream.read(65536)
                    except Err as error:
                        if isinstance(error.value, streams.StreamError_Closed):
                            break
                        raise Unreachable(url, "the answer broke off") from None
                    if chunk:
                        chunks.append(chunk)
                    else:
                        wait(stream.subscribe())
    return FetchResponse(status, answer_headers, b"".join(chunks))


def _method(types, name):
    known = {
        "GET": types.Method_Get, "HEAD": types.Method_Head, "POST": types.Method_Post,
        "PUT": types.Method_Put, "DELETE": types.Method_Delete, "PATCH": types.Method_Patch,
        "OPTIONS": types.Method_Options, "TRACE": types.Method_Trace,
        "CONNECT": types.Method_Connect,
    }
    return known[name]() if name in known else types.Method_Other(name)


def _error(types, url, code):
    if isinstance(code, types.ErrorCode_HttpRequestDenied):
        return Denied(url)
    timeouts = (types.ErrorCode_ConnectionTimeout, types.ErrorCode_ConnectionReadTimeout,
                types.ErrorCode_ConnectionWriteTimeout, types.ErrorCode_HttpResponseTimeout)
    if isinstance(code, timeouts):
        return Timeout(url)
    reasons = {
        types.ErrorCode_ConnectionRefused: "connection refused",
        types.ErrorCode_ConnectionTerminated: "connection closed",
        types.ErrorCode_DnsError: "the name does not resolve",
        types.ErrorCode_DnsTimeout: "the name does not resolve",
        types.ErrorCode_DestinationNotFound: "the name does not resolve",
    }
    why = reasons.get(type(code), type(code).__name__.removeprefix("ErrorCode_"))
    return Unreachable(url, why)
