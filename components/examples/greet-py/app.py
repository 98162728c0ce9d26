"""`greet-py`: the serverless "hello world" in Python. `GET /py/hello` greets the world,
`GET /py/hello/:name` greets `name`.

>>> from types import SimpleNamespace
>>> greet(SimpleNamespace(params={"name": "ada"}))
{'message': 'Hello, ada!'}
"""


def greet(request):
    name = request.params.get("name", "world")
    return {"message": f"Hello, {name}!"}
