// Runs a script against a page of Debian's Chromium (through playwright-core), in a fresh
// profile removed afterwards; a failure prints its stack and exits 1.
//
// PLAYWRIGHT_CORE names the installed playwright-core (scripts/install.sh puts it under
// .edgeway/tools/browser); CHROMIUM the browser (default /usr/bin/chromium).
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require(process.env.PLAYWRIGHT_CORE || "playwright-core");

/** Calls `use(page)` with a new page and prints what it returns as one JSON line. */
function withPage(use) {
  run(use).catch((error) => {
    console.error(error && error.stack || String(error));
    process.exit(1);
  });
}

async function run(use) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "edgeway-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    console.log(JSON.stringify(await use(await context.newPage())));
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

module.exports = { withPage };
