// plugdex browser search (docs/search.md, "In the browser"): an ES module, no
// build step. `plugdex build` writes it as search/plugdex-search.<hash>.js.
//
//   import { openSearch } from "/search/plugdex-search.<hash>.js";
//   const engine = openSearch({ root: "/" });  // fetches nothing yet
//   const { query, total, results } = await engine.search("sync dropbox", { tier: "verified", limit: 20 });
//   // results[i] = { name, version, description, tier, score }, in rank order
//
// The first search starts a Web Worker, which fetches the engine, the
// registry's config.json and its search bundle once; later searches fetch
// nothing.

const WORKER = "./plugdex-search-worker.0509316de4a2ad6f.js";

/** Filters `search` understands, and the engine's names for them. */
const FILTERS = ["tag", "runtime", "tier", "withoutPermission", "engine", "limit"];

/**
 * A search engine over the registry published at `root` (a URL or a path,
 * resolved against the page; default "/": the site's root).
 */
export function openSearch({ root = "/" } = {}) {
  const rootUrl = new URL(root, globalThis.document ? document.baseURI : globalThis.location.href);
  if (!rootUrl.pathname.endsWith("/")) rootUrl.pathname += "/";
  let worker = null;
  let nextId = 0;
  const pending = new Map();

  const fail = (message) => {
    for (const { reject } of pending.values()) reject(new Error(message));
    pending.clear();
    worker?.terminate();
    worker = null;
  };

  const start = () => {
    worker = new Worker(new URL(WORKER, import.meta.url));
    worker.onmessage = ({ data }) => {
      const request = pending.get(data.id);
      if (!request) return;
      pending.delete(data.id);
      if (data.error) request.reject(new Error(data.error));
      else request.resolve(data.answer);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      fail(`plugdex search: the search worker failed: ${event.message || "it could not be loaded"}`);
    };
  };

  return {
    /**
     * The plugins that match `query`, best first:
     * `{ query, total, results: [{ name, version, description, tier, score }] }`.
     * `filters`: `tag` (a tag or a list of tags, all required), `runtime`,
     * `tier`, `withoutPermission` (a permission or a list), `engine` (a host
     * version, e.g. "1.5.0"), `limit` (1 to 1000, default 10).
     */
    search(query, filters = {}) {
      if (typeof query !== "string") {
        return Promise.reject(new TypeError("plugdex search: the query must be a string"));
      }
      const unknown = Object.keys(filters).filter((k) => !FILTERS.includes(k));
      if (unknown.length) {
        return Promise.reject(new TypeError(`plugdex search: unknown filter ${unknown.join(", ")} (known: ${FILTERS.join(", ")})`));
      }
      if (!worker) start();
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, root: rootUrl.href, query, filters });
      });
    },
    /** Stops the worker; a later search starts (and loads) it again. */
    close() {
      fail("plugdex search: closed");
    },
  };
}
