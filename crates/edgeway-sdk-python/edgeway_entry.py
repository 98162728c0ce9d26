"""The component's entry module: binds plain Python functions to the WIT contract.

`edgeway build` runs componentize-py with this module, the `edgeway` package and the
handler's folder on the path, and a generated `edgeway_target` module naming the world's
exports (`handler`, `events` or both) and the functions behind them.
"""

import edgeway
import edgeway_target as target
from componentize_py_types import Err
from wit_world import exports

_EXPORTS = getattr(target, "EXPORTS", ("handler",))

if "handler" in _EXPORTS:
    from wit_world.exports import handler as contract

    # Found at build time: a handler without a usable function fails the build, not a request.
    # The events function (`deliver`) never handles requests, whether or not the world
    # exports `events`.
    _events_module = getattr(target, "EVENTS_MODULE", target.MODULE)
    _events_function = getattr(target, "EVENTS_FUNCTION", None) or "deliver"
    _exclude = (_events_function,) if _events_module == target.MODULE else ()
    _function = edgeway.load(target.MODULE, target.FUNCTION, _exclude)

    class Handler(exports.Handler):
        """The contract's `handle`, calling the handler function."""

        def handle(self, request):
            outcome = edgeway.call(_function, edgeway.Request.from_wit(request))
            if isinstance(outcome, edgeway.Problem):
                raise Err(contract.Problem(outcome.status, outcome.title, outcome.detail))
            status, headers, body = outcome
            return contract.Response(status, headers, body)


if "events" in _EXPORTS:
    _on_event = edgeway.load_events(target.EVENTS_MODULE, target.EVENTS_FUNCTION)

    class Events(exports.Events):
        """The contract's `deliver`, calling the events function."""

        def deliver(self, event):
            error = edgeway.call_event(_on_event, edgeway.Event.from_wit(event))
            if error is not None:
                raise Err(error)
