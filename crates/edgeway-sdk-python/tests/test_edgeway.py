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


if __name__ == "__main__":
    unittest.main()
