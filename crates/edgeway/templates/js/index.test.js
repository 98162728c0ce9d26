// Run with `node --test` in this folder.
import assert from "node:assert/strict";
import { test } from "node:test";

import { greeting, handler } from "./index.js";

test("greets by name", () => {
  assert.equal(greeting("ada"), "Hello, ada!");
});

test("answers 200 with JSON", async () => {
  const result = await handler({ pathParameters: { name: "ada" } }, {});
  assert.equal(result.statusCode, 200);
  assert.deepEqual(JSON.parse(result.body), { message: "Hello, ada!" });
});
