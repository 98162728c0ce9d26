// Opens the gateway's docs page in Debian's Chromium (through playwright-core), and prints
// what a reader sees as one JSON line: the operations listed, the console errors and failed
// requests, and the answer to one request sent with the page's "Try it" form.
//
//   node docs.cjs <docs page URL> <"METHOD /path" of the operation to try>
//
// PLAYWRIGHT_CORE names the installed playwright-core (scripts/install.sh puts it under
// .edgeway/tools/browser); CHROMIUM the browser (default /usr/bin/chromium).
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require(process.env.PLAYWRIGHT_CORE || "playwright-core");

async function main() {
  const [url, tryOperation] = process.argv.slice(2);
  const [tryMethod, tryPath] = tryOperation.split(" ");
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "edgeway-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const errors = [];
  try {
    const page = await context.newPage();
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
    console.log(JSON.stringify({ status: response.status(), title, operations, parameters, tried, errors }));
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error && error.stack || String(error));
  process.exit(1);
});
