"""`{{name}}`: answers `{{route}}`, greeting the `name` route parameter if the route has one.

`edgeway build` calls `handler` with each request (see crates/edgeway-sdk-python). Test it
with `python3 -m doctest app.py`:

>>> greeting("ada")
'Hello, ada!'
>>> from types import SimpleNamespace
>>> handler(SimpleNamespace(params={}))
{'message': 'Hello, world!'}
"""


def handler(request):
    return {"message": greeting(request.params.get("name", "world"))}


def greeting(name):
    return f"Hello, {name}!"
