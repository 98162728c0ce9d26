// Opens the gateway's docs page in Debian's Chromium (through playwright-core), and prints
// what a reader sees as one JSON line: the operations listed, the console errors and failed
// requests, and the answer to one request sent with the page's "Try it" form.
//
//   node docs.cjs <docs page URL> <"METHOD /path" of the operation to try>
//
// The browser is launched by chromium.cjs (PLAYWRIGHT_CORE, CHROMIUM).
"use strict";
const { withPage } = require("./chromium.cjs");

withPage(async (page) => {
  const [url, tryOperation] = process.argv.slice(2);
  const [tryMethod, tryPath] = tryOperation.split(" ");
  const errors = [];
  page.on("console", (message) => { if (message.type() === "error") errors.push("console: " + message.text()); });
  page.on("pageerror", (error) => errors.push("page: " + error.message));
  page.on("requestfailed", (request) => errors.push("request failed: " + request.url()));
  const response = await page.goto(url);
  await page.waitForSelector("body[data-loaded=true]", { timeout: 30000 });
  const operations = await page.$$eval("details.op", (nodes) =>
    nodes.map((node) => node.dataset.method + " " + node.dataset.path));
  const parameters = await page.$$eval("tr.param td.path", (cells) => cells.map((c) => c.textContent));
  const op = page.locator(`details.op[data-method="${tryMethod}"][data-path="${tryPath}"]`);
  await op.locator("summary").click();
  await op.locator("form.try button[type=submit]").click();
  const status = op.locator(".result .status");
  await status.waitFor({ timeout: 30000 });
  await page.waitForFunction((selector) => !document.querySelector(selector).textContent.endsWith("…"),
    `details.op[data-method="${tryMethod}"][data-path="${tryPath}"] .result > div`);
  const tried = {
    status: await status.textContent(),
    body: await op.locator(".result pre.response").textContent(),
  };
  const title = await page.title();
  return { status: response.status(), title, operations, parameters, tried, errors };
});
