// Run with `node --test` in this folder.
import assert from "node:assert/strict";
import { test } from "node:test";

import { handler } from "./index.js";

const event = (detail) => ({
  version: "0",
  id: "e-1",
  "detail-type": "com.example.ping",
  source: "webhook:orders",
  detail,
});

test("logs an event, and fails one that asks to", async (t) => {
  const lines = [];
  t.mock.method(console, "log", (line) => lines.push(line));
  await handler(event({ n: 1 }), { awsRequestId: "e-1" });
  assert.deepEqual(JSON.parse(lines[0]), {
    handler: "events-js",
    id: "e-1",
    source: "webhook:orders",
    type: "com.example.ping",
    subject: null,
    requestId: "e-1",
  });
  await assert.rejects(handler(event({ fail: true }), { awsRequestId: "e-1" }), /asked to fail/);
});
