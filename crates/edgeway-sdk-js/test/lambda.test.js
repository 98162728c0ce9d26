// Unit tests of the Lambda adapter, run natively: `node --test test/` in crates/edgeway-sdk-js
// (the HTTP tests in tests/tests/polyglot.rs cover the component).
import assert from "node:assert/strict";
import { test } from "node:test";

import { deliver, fromBase64, invoke, toBase64, toEvent, toEventBridge, toResponse } from "../src/lambda.js";

const encoder = new TextEncoder();

function request(overrides = {}) {
  return {
    method: "GET",
    path: "/items/7",
    query: "",
    headers: [["host", "api.example.com"], ["accept", "a"], ["accept", "b"]],
    params: [["id", "7"]],
    body: new Uint8Array(),
    context: { requestId: "req-1", route: "/items/:id", clientAddr: "[::1]:5000", traceparent: "" },
    ...overrides,
  };
}

test("the event follows API Gateway's payload 2.0", () => {
  const event = toEvent(request({ query: "q=a+b&q=c" }));
  assert.equal(event.routeKey, "GET /items/{id}");
  assert.equal(event.headers.accept, "a,b");
  assert.deepEqual(event.queryStringParameters, { q: "a b,c" });
  assert.deepEqual(event.pathParameters, { id: "7" });
  assert.equal(event.requestContext.domainName, "api.example.com");
  assert.equal(event.requestContext.http.sourceIp, "::1");
  assert.equal(event.body, undefined);
  const wildcard = toEvent(request({ params: [["...", "a/b"]], context: { ...request().context, route: "/files/..." } }));
  assert.equal(wildcard.routeKey, "GET /files/{proxy+}");
});

test("each result form becomes a response", () => {
  const text = (r) => new TextDecoder().decode(r.body);
  const object = toResponse({ a: 1 });
  assert.deepEqual([object.status, object.headers, text(object)], [200, [["content-type", "application/json"]], '{"a":1}']);
  const full = toResponse({ statusCode: 201, headers: { "X-Id": 7 }, body: "ok" });
  assert.deepEqual([full.status, full.headers, text(full)], [201, [["content-type", "application/json"], ["x-id", "7"]], "ok"]);
  const binary = toResponse({ statusCode: 200, body: "AP8Q", isBase64Encoded: true });
  assert.deepEqual([...binary.body], [0, 255, 16]);
  assert.throws(() => toResponse({ statusCode: "teapot" }), /statusCode must be an integer/);
});

test("base64 round-trips every length", () => {
  for (let n = 0; n < 8; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97) & 255);
    assert.deepEqual(fromBase64(toBase64(bytes)), bytes);
    assert.equal(toBase64(bytes), Buffer.from(bytes).toString("base64"));
  }
});

test("a thrown error is a 500 problem", async () => {
  const original = console.error;
  console.error = () => {};
  try {
    const { problem } = await invoke(async () => {
      throw new TypeError("nope");
    }, request({ body: encoder.encode("x") }));
    assert.deepEqual(problem, { status: 500, title: "Handler raised an exception", detail: "TypeError: nope" });
  } finally {
    console.error = original;
  }
});

function wireEvent(overrides = {}) {
  return {
    id: "e-1",
    source: "webhook:orders",
    type: "com.example.order.created",
    subject: undefined,
    time: "2026-11-27T21:00:00Z",
    dataContentType: "application/json",
    data: encoder.encode('{"total":3}'),
    extensions: [["traceparent", "00-abc-def-01"]],
    ...overrides,
  };
}

test("an event becomes an EventBridge event", () => {
  assert.deepEqual(toEventBridge(wireEvent()), {
    version: "0",
    id: "e-1",
    "detail-type": "com.example.order.created",
    source: "webhook:orders",
    account: "edgeway",
    time: "2026-11-27T21:00:00Z",
    region: "edgeway",
    resources: [],
    detail: { total: 3 },
    extensions: { traceparent: "00-abc-def-01" },
    dataContentType: "application/json",
  });
  const key = toEventBridge(wireEvent({ subject: "todos/3", dataContentType: undefined, data: new Uint8Array(), extensions: [] }));
  assert.deepEqual([key.resources, key.subject, key.detail, "dataContentType" in key], [["todos/3"], "todos/3", {}, false]);
});

test("the detail is JSON, text or base64", () => {
  const detail = (dataContentType, text) => toEventBridge(wireEvent({ dataContentType, data: encoder.encode(text) })).detail;
  assert.deepEqual(detail(undefined, "[1,2]"), [1, 2]);
  assert.deepEqual(detail("application/cloudevents+json", '{"a":1}'), { a: 1 });
  assert.equal(detail(undefined, "plain words"), "plain words");
  assert.equal(detail("text/plain", "42"), "42");
  const binary = toEventBridge(wireEvent({ dataContentType: "application/octet-stream", data: Uint8Array.of(0, 255, 16) }));
  assert.deepEqual([binary.detail, binary.isBase64Encoded], ["AP8Q", true]);
  const untimed = toEventBridge(wireEvent({ time: undefined }));
  assert.ok(!Number.isNaN(Date.parse(untimed.time)));
});

test("a handler that returns handled the event; one that throws did not", async () => {
  const seen = [];
  assert.deepEqual(await deliver(async (event, context) => seen.push([event.id, context.awsRequestId]), wireEvent()), {});
  assert.deepEqual(seen, [["e-1", "e-1"]]);
  const original = console.error;
  console.error = () => {};
  try {
    assert.deepEqual(await deliver(() => { throw new RangeError("too big"); }, wireEvent()), { error: "RangeError: too big" });
    assert.deepEqual(await deliver(() => { throw "plain"; }, wireEvent()), { error: "plain" });
    assert.deepEqual(await deliver(() => { throw { code: 7 }; }, wireEvent()), { error: '{"code":7}' });
  } finally {
    console.error = original;
  }
});
