"""The component's entry module: binds a plain Python handler function to the WIT contract.

`edgeway build` runs componentize-py with this module, the `edgeway` package and the
handler's folder on the path, and a generated `edgeway_target` module naming the function.
"""

import edgeway
from componentize_py_types import Err
from edgeway_target import FUNCTION, MODULE
from wit_world import exports
from wit_world.exports import handler as contract

# Found at build time: a handler without a usable function fails the build, not a request.
_function = edgeway.load(MODULE, FUNCTION)


class Handler(exports.Handler):
    """The contract's `handle`, calling the handler function."""

    def handle(self, request):
        outcome = edgeway.call(_function, edgeway.Request.from_wit(request))
        if isinstance(outcome, edgeway.Problem):
            raise Err(contract.Problem(outcome.status, outcome.title, outcome.detail))
        status, headers, body = outcome
        return contract.Response(status, headers, body)
