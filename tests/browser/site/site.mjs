// Drives Debian's Chromium over a served plugdex site for tests/site.rs.
// Usage: node site.mjs MODE BASE_URL [PATH...]; prints one JSON report on
// stdout. Modes:
//   xss        load each path; report dialogs, script runs (window.__xss),
//              CSP violations and dangerous markup left in the DOM
//   axe        axe-core (WCAG 2.1 A and AA) on each path, light and dark; a
//              path with ?q= once #search-results lists results (`results`)
//   links      crawl from "/" and fetch every internal link and asset
//   behaviour  theme toggle persists, "/" focuses search, "Works with" marks
//   semver     the page script's requirement matcher over PATH[0], a JSON
//              list of [requirement, version] pairs
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [mode, base, ...paths] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), "plugdex-site-chromium-"));
// A persistent context is how playwright takes a fresh --user-data-dir.
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.PLUGDEX_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const report = {};
try {
  if (mode === "xss") report.pages = await xss(context);
  else if (mode === "axe") report.pages = await axe(context);
  else if (mode === "links") report.broken = await links(context);
  else if (mode === "behaviour") report.checks = await behaviour(context);
  else if (mode === "semver") report.answers = await semver(context);
  else throw new Error(`unknown mode ${mode}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(report) + "\n");

async function open(context, path, events) {
  const page = await context.newPage();
  page.on("dialog", (d) => { events.push(`dialog: ${d.type()} ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on("console", (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) events.push(`csp: ${m.text()}`); });
  page.on("pageerror", (e) => events.push(`error: ${e.message}`));
  const response = await page.goto(base + path, { waitUntil: "load" });
  await page.waitForTimeout(150);
  return { page, status: response ? response.status() : 0 };
}

async function xss(context) {
  const out = [];
  for (const path of paths) {
    const events = [];
    const { page, status } = await open(context, path, events);
    const found = await page.evaluate(() => {
      const bad = [];
      if (window.__xss !== undefined || (window.parent && window.parent.__xss !== undefined)) bad.push("window.__xss was set: a payload ran");
      for (const el of document.querySelectorAll("*")) {
        for (const a of el.attributes) {
          const name = a.name.toLowerCase(), value = a.value.trim().toLowerCase();
          if (name.startsWith("on")) bad.push(`handler ${name} on <${el.localName}>`);
          if (name === "style") bad.push(`style attribute on <${el.localName}>`);
          if (["href", "src", "action", "formaction", "data", "srcdoc", "xlink:href", "poster", "background"].includes(name)
              && /^(javascript|data|vbscript):/.test(value.replace(/[\s\u0000-\u001f]/g, ""))) bad.push(`${name}=${a.value} on <${el.localName}>`);
        }
      }
      for (const s of document.querySelectorAll("script")) {
        if (!s.src || s.textContent.trim()) bad.push(`script: ${s.outerHTML.slice(0, 120)}`);
        else if (new URL(s.src).origin !== location.origin) bad.push(`foreign script ${s.src}`);
      }
      for (const sel of ["iframe", "object", "embed", "base", "style", "svg", "math", "meta[http-equiv]", "link[rel=import]", "frame", "frameset", "applet"]) {
        for (const el of document.querySelectorAll(sel)) bad.push(`<${el.localName}> element: ${el.outerHTML.slice(0, 120)}`);
      }
      for (const f of document.querySelectorAll("form")) {
        if (!["site-search", "works-with", "search-page"].some((c) => f.classList.contains(c))) bad.push(`foreign form ${f.outerHTML.slice(0, 120)}`);
      }
      return { bad, text: document.body.innerText };
    });
    out.push({ path, status, events, bad: found.bad, templateLiteral: found.text.includes("{{ 7*7 }}"), evaluated: /\b49\b/.test(found.text) });
    await page.close();
  }
  return out;
}

async function axe(context) {
  const out = [];
  for (const scheme of ["light", "dark"]) {
    for (const path of paths) {
      const events = [];
      const page = await context.newPage();
      await page.emulateMedia({ colorScheme: scheme });
      page.on("console", (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) events.push(m.text()); });
      await page.goto(base + path, { waitUntil: "load" });
      // A search page with a query is checked once its results are listed.
      const searched = new URL(base + path).searchParams.has("q");
      if (searched) await page.waitForSelector("#search-results a", { timeout: 20000 }).catch(() => {});
      await page.waitForTimeout(100);
      const results = searched ? await page.locator("#search-results a").count() : null;
      const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
      out.push({
        path, scheme, events, results,
        theme: await page.evaluate(() => getComputedStyle(document.body).backgroundColor),
        violations: result.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) })),
        passes: result.passes.length,
      });
      await page.close();
    }
  }
  return out;
}

async function links(context) {
  const seen = new Set(["/"]), queue = ["/"], broken = [];
  const origin = new URL(base).origin;
  const page = await context.newPage();
  while (queue.length) {
    const path = queue.shift();
    const response = await page.goto(origin + path, { waitUntil: "domcontentloaded" });
    if (!response || response.status() !== 200) { broken.push(`${path}: ${response ? response.status() : "no response"}`); continue; }
    if (!(response.headers()["content-type"] || "").startsWith("text/html")) continue;
    const refs = await page.evaluate(() => [...document.querySelectorAll("[href],[src]")].map((e) => e.getAttribute("href") ?? e.getAttribute("src")));
    for (const ref of refs) {
      const url = new URL(ref, origin + path);
      if (url.origin !== origin) continue;
      const target = url.pathname;
      if (seen.has(target)) continue;
      seen.add(target);
      if (target.endsWith("/")) { queue.push(target); continue; }
      const r = await context.request.get(origin + target, { maxRedirects: 0 });
      if (r.status() !== 200) broken.push(`${target} (linked from ${path}): ${r.status()}`);
    }
  }
  await page.close();
  return { broken, checked: seen.size };
}

async function behaviour(context) {
  const checks = {};
  const events = [];
  const [pluginPath] = paths;
  let { page } = await open(context, "/", events);
  await page.keyboard.press("/");
  checks.slashFocusesSearch = await page.evaluate(() => document.activeElement && document.activeElement.id);
  await page.evaluate(() => document.activeElement.blur());
  const toggle = page.locator("#theme-toggle");
  checks.toggleVisible = await toggle.isVisible();
  const before = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await toggle.click();
  checks.themeAfterClick = await page.evaluate(() => document.documentElement.getAttribute("data-theme"));
  checks.backgroundChanged = before !== (await page.evaluate(() => getComputedStyle(document.body).backgroundColor));
  await page.goto(base + pluginPath, { waitUntil: "load" });
  checks.themeAfterNavigation = await page.evaluate(() => document.documentElement.getAttribute("data-theme"));
  await page.fill("#host-version", "1.4.0");
  checks.works14 = await page.evaluate(() => [...document.querySelectorAll("tr[data-engine]")].map((r) => [r.id, r.getAttribute("data-engine"), r.getAttribute("data-works")]));
  await page.fill("#host-version", "2.1.0");
  checks.works21 = await page.evaluate(() => [...document.querySelectorAll("tr[data-engine]")].map((r) => [r.id, r.getAttribute("data-engine"), r.getAttribute("data-works")]));
  await page.reload({ waitUntil: "load" });
  checks.versionRemembered = await page.inputValue("#host-version");
  checks.events = events;
  return checks;
}

async function semver(context) {
  const pairs = JSON.parse(paths[0]);
  const { page } = await open(context, "/", []);
  const answers = await page.evaluate((pairs) => pairs.map(([r, v]) => window.plugdexRequirementMatches(r, v)), pairs);
  await page.close();
  return answers;
}
