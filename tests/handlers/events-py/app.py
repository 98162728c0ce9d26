"""`events-py`: receives events in Python. Each event is logged as one JSON line on stdout; an
event whose data is `{"fail": true}` fails on purpose, so retries and dead letters show.

>>> from types import SimpleNamespace
>>> event = SimpleNamespace(id="e-1", source="webhook:orders", type="com.example.ping",
...                         subject=None, data=b'{"n": 1}')
>>> deliver(event)
{"handler":"events-py","id":"e-1","source":"webhook:orders","type":"com.example.ping","subject":null}
>>> deliver(SimpleNamespace(**{**vars(event), "data": b'{"fail": true}'}))
Traceback (most recent call last):
  ...
RuntimeError: event e-1 asked to fail
"""

import json


def deliver(event):
    if _asks_to_fail(event.data):
        raise RuntimeError(f"event {event.id} asked to fail")
    record = {
        "handler": "events-py",
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "subject": event.subject,
    }
    print(json.dumps(record, separators=(",", ":")))


def _asks_to_fail(data):
    try:
        value = json.loads(data)
    except ValueError:
        return False
    return isinstance(value, dict) and value.get("fail") is True
