// Calls an app cross-origin from a page in Debian's Chromium, as a browser app would, and
// prints what the page's script could read as one JSON line: for each call, the status and
// the body (parsed if JSON), or the error `fetch` threw (a TypeError when CORS hides the answer).
//
//   node cors.cjs <page URL> <app URL> "METHOD /path [header: value]" ...
//
// The browser is launched by chromium.cjs (PLAYWRIGHT_CORE, CHROMIUM).
"use strict";
const { withPage } = require("./chromium.cjs");

withPage(async (page) => {
  const [pageUrl, appUrl, ...calls] = process.argv.slice(2);
  await page.goto(pageUrl);
  return page.evaluate(async ({ appUrl, calls }) => {
    const results = [];
    for (const call of calls) {
      const [method, path, ...header] = call.split(" ");
      const headers = {};
      if (header.length) headers[header[0].replace(/:$/, "")] = header.slice(1).join(" ");
      try {
        const response = await fetch(appUrl + path, { method, headers });
        const text = await response.text();
        let body = text;
        try { body = JSON.parse(text); } catch (_) { /* not JSON */ }
        results.push({ call, status: response.status, body });
      } catch (error) {
        results.push({ call, error: String(error) });
      }
    }
    return results;
  }, { appUrl, calls });
});
