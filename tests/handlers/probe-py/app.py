"""Test-only: answers with what the edgeway helper made of the request, or fails on demand
(`/py/probe/raise`, `/py/probe/problem`); the other names pick a return form."""

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
