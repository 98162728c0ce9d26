"""Test-only: answers with what the edgeway helper made of the request, or fails on demand
(`/py/probe/raise`, `/py/probe/problem`); `/py/probe/fetch?url=U&timeout_ms=T` calls `U` with
`edgeway.fetch` and relays the answer; the other names pick a return form."""

import edgeway


def probe(request):
    what = request.params.get("what")
    if what == "raise":
        raise ValueError("the probe was asked to raise")
    if what == "problem":
        raise edgeway.Problem(409, "Conflict on purpose", "the probe was asked for a problem")
    if what == "tuple":
        return 201, "created", {"x-probe": "tuple"}
    if what == "bytes":
        return b"\x00\xff"
    if what == "none":
        return None
    if what == "fetch":
        return _relay(request)
    return {
        "method": request.method,
        "path": request.path,
        "params": request.params,
        "query": request.query,
        "query_all": request.query_all,
        "x_probe": request.headers.get("x-probe"),
        "json": request.json() if request.body else None,
        "request_id": request.context.request_id,
        "route": request.context.route,
    }


def _relay(request):
    url = request.query.get("url")
    if not url:
        raise edgeway.Problem(400, "No URL", "give the URL to call as ?url=")
    timeout = float(request.query.get("timeout_ms", 10000)) / 1000
    answer = edgeway.fetch(url, headers={"x-request-id": request.context.request_id},
                           timeout=timeout)
    headers = {"x-relayed-by": "python"}
    if answer.getheader("content-type"):
        headers["content-type"] = answer.getheader("content-type")
    return edgeway.Response(answer.read(), answer.status, headers)
