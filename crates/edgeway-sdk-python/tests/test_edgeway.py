"""Unit tests of the helper, run natively: `python3 -m unittest discover -s tests` from
crates/edgeway-sdk-python (the HTTP tests in tests/tests/polyglot.rs cover the component)."""

import doctest
import sys
import types
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import edgeway  # noqa: E402


def load_tests(loader, tests, ignore):
    tests.addTests(doctest.DocTestSuite(edgeway))
    return tests


def request(body=b"", headers=()):
    return edgeway.Request("GET", "/x", "", list(headers), [], body)


class Conversions(unittest.TestCase):
    def test_each_return_form(self):
        cases = [
            ([1, 2], (200, [("content-type", "application/json")], b"[1,2]")),
            (b"\xff", (200, [("content-type", "application/octet-stream")], b"\xff")),
            ((201, {"id": 1}, {"Location": "/items/1"}),
             (201, [("content-type", "application/json"), ("location", "/items/1")], b'{"id":1}')),
            (edgeway.Response("<p>", headers={"Content-Type": "text/html"}),
             (200, [("content-type", "text/html")], b"<p>")),
        ]
        for value, expected in cases:
            self.assertEqual(edgeway.response_parts(value), expected)

    def test_problems(self):
        def invalid_json(r):
            return r.json()

        problem = edgeway.call(invalid_json, request(b"{nope"))
        self.assertEqual((problem.status, problem.title), (400, "Invalid JSON body"))

        def refuse(r):
            raise edgeway.Problem(409, "Taken", "try another name")

        problem = edgeway.call(refuse, request())
        self.assertEqual((problem.status, problem.detail), (409, "try another name"))

        def wrong_type(r):
            return 3.5

        problem = edgeway.call(wrong_type, request())
        self.assertEqual(problem.status, 500)
        self.assertIn("TypeError: cannot send a float", problem.detail)

    def test_repeated_headers_are_joined(self):
        r = request(headers=[("accept", "a"), ("accept", "b")])
        self.assertEqual(r.headers["accept"], "a, b")

    def test_load_finds_the_one_public_function(self):
        module = types.ModuleType("one_function")
        exec("import json\ndef _helper(): pass\ndef greet(request): return 'hi'", module.__dict__)
        sys.modules["one_function"] = module
        self.assertEqual(edgeway.load("one_function").__name__, "greet")
        exec("def other(request): pass", module.__dict__)
        with self.assertRaisesRegex(LookupError, "greet, other"):
            edgeway.load("one_function")
        self.assertEqual(edgeway.load("one_function", "other").__name__, "other")


class Events(unittest.TestCase):
    def wit_event(self, **overrides):
        fields = dict(
            id="e-1",
            source="redis:__keyevent@0__:set",
            type="edgeway.redis.keyevent.set",
            subject="todos/3",
            time="2026-11-27T21:00:00Z",
            data_content_type=None,
            data=b"",
            extensions=[("traceparent", "00-abc-def-01")],
        )
        fields.update(overrides)
        return types.SimpleNamespace(**fields)

    def test_from_wit_keeps_every_attribute(self):
        event = edgeway.Event.from_wit(self.wit_event())
        self.assertEqual(
            (event.id, event.source, event.type, event.subject, event.time),
            ("e-1", "redis:__keyevent@0__:set", "edgeway.redis.keyevent.set", "todos/3",
             "2026-11-27T21:00:00Z"),
        )
        self.assertEqual(event.extensions, {"traceparent": "00-abc-def-01"})
        self.assertEqual((event.data, event.data_content_type), (b"", None))

    def test_data_as_text_and_json(self):
        event = edgeway.Event.from_wit(self.wit_event(data=b'{"fail": true}'))
        self.assertEqual(event.json(), {"fail": True})
        self.assertEqual(edgeway.Event("e", "s", "t", data=b"\xffok").text(), "\ufffdok")
        with self.assertRaises(ValueError):
            edgeway.Event("e", "s", "t", data=b"not json").json()

    def test_a_raised_exception_is_the_error(self):
        def fails(event):
            event.json()

        error = edgeway.call_event(fails, edgeway.Event("e", "s", "t", data=b"{"))
        self.assertTrue(error.startswith("JSONDecodeError: "), error)
        self.assertIsNone(edgeway.call_event(lambda event: None, edgeway.Event("e", "s", "t")))

    def test_load_events_finds_deliver(self):
        module = types.ModuleType("with_events")
        exec("def greet(request): return 'hi'\ndef deliver(event): pass", module.__dict__)
        sys.modules["with_events"] = module
        self.assertEqual(edgeway.load_events("with_events").__name__, "deliver")
        # The request function is still found as the one public function besides `deliver`.
        self.assertEqual(edgeway.load("with_events", exclude=("deliver",)).__name__, "greet")
        with self.assertRaisesRegex(LookupError, "no function `on_event` to receive events"):
            edgeway.load_events("with_events", "on_event")


if __name__ == "__main__":
    unittest.main()
