// Run with `node --test` in this folder.
import assert from "node:assert/strict";
import { test } from "node:test";

import { handler } from "./index.js";

test("greets the name in the path, or the world", async () => {
  const named = await handler({ pathParameters: { name: "ada" } }, {});
  assert.equal(named.statusCode, 200);
  assert.deepEqual(JSON.parse(named.body), { message: "Hello, ada!" });
  const world = await handler({}, {});
  assert.deepEqual(JSON.parse(world.body), { message: "Hello, world!" });
});
