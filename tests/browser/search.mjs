// Drives Debian's chromium (never a downloaded browser) through a page that
// uses plugdex's browser search API, for tests/browser_search.rs and
// benches/search_browser.sh.
//
//   node search.mjs URL REQUESTS.json [--repeat N]
//
// URL is a page that imports the module and sets `window.plugdexSearch(query,
// filters)` and `window.plugdexReady`. REQUESTS.json is a list of
// `{ "query": "...", "filters": {...} }`. Prints one JSON object:
//   answers           each request's answer (or { error }), in order
//   beforeSearch      URLs the page fetched before the first search
//   firstSearch       [{ url, bytes }] fetched by the first search
//   laterSearches     [{ url, bytes }] fetched by every search after it
//   timings           each search's round trip in ms, once per repetition (--repeat)
//   cspViolations     Content-Security-Policy violations the console reported
//   pageHeaders       the page response's headers
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, requestsFile, ...rest] = process.argv.slice(2);
if (!url || !requestsFile) {
  console.error("usage: node search.mjs URL REQUESTS.json [--repeat N]");
  process.exit(2);
}
const repeat = rest[0] === "--repeat" ? Number(rest[1]) : 0;
const requests = JSON.parse(readFileSync(requestsFile, "utf8"));

const profile = mkdtempSync(join(tmpdir(), "plugdex-chromium-"));
// A fresh profile (playwright passes it as --user-data-dir).
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  timeout: 60_000,
});
try {
  // Every request of the page and its worker, with the bytes it transferred.
  let fetched = [];
  const cspViolations = [];
  context.on("requestfinished", async (request) => {
    const entry = { url: request.url(), bytes: 0 };
    fetched.push(entry);
    try {
      const sizes = await request.sizes();
      entry.bytes = sizes.responseBodySize + sizes.responseHeadersSize;
    } catch {
      // the size of a request the browser cancelled is unknown
    }
  });
  const page = await context.newPage();
  const consoleLog = [];
  page.on("pageerror", (error) => consoleLog.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    consoleLog.push(message.text());
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  page.on("worker", (worker) => worker.on("console", (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) cspViolations.push(message.text());
  }));
  const response = await page.goto(url, { waitUntil: "networkidle" });
  const pageHeaders = response.headers();
  await page.waitForFunction(() => window.plugdexReady === true, null, { timeout: 30_000 }).catch((error) => {
    throw new Error(`the page never became ready (${error.message}); its console: ${JSON.stringify(consoleLog)}; fetched: ${JSON.stringify(fetched)}`);
  });
  await page.waitForTimeout(300); // anything the page would load on its own has started
  const beforeSearch = fetched.map((f) => f.url);

  const run = (request) =>
    page.evaluate(async ({ query, filters }) => {
      const started = performance.now();
      try {
        const answer = await window.plugdexSearch(query, filters || {});
        return { answer, ms: performance.now() - started };
      } catch (error) {
        return { answer: { error: String(error.message || error) }, ms: performance.now() - started };
      }
    }, request);

  fetched = [];
  const answers = [];
  const timings = [];
  for (const [i, request] of requests.entries()) {
    const { answer, ms } = await run(request);
    answers.push(answer);
    if (i === 0) {
      await page.waitForTimeout(100);
      var firstSearch = fetched;
      fetched = [];
    } else {
      timings.push(ms);
    }
  }
  for (let r = 0; r < repeat; r++) {
    for (const request of requests) timings.push((await run(request)).ms);
  }
  await page.waitForTimeout(100);
  const laterSearches = fetched;
  console.log(JSON.stringify({ answers, beforeSearch, firstSearch: firstSearch || [], laterSearches, timings, cspViolations, pageHeaders }));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
