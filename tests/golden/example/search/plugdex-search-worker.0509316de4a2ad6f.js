// plugdex search worker (docs/search.md, "In the browser"). Started by
// plugdex-search.<hash>.js on the first search; loads the engine and the
// registry's search bundle (its browser bundle when it has one) once, then
// answers every query from memory.
// `plugdex build` writes this file as search/plugdex-search-worker.<hash>.js
// with ENGINE set to the engine's content-hashed name beside it.
"use strict";

const ENGINE = "./plugdex-search-engine.f8bcbcbcbb23d0d1.wasm";
const BUNDLE_FORMAT = 1;

let engine = null; // Promise of the loaded engine, made by the first message

self.onmessage = async (event) => {
  const { id, root, query, filters } = event.data;
  try {
    engine ??= load(root);
    const loaded = await engine;
    self.postMessage({ id, answer: loaded.search(query, filters) });
  } catch (error) {
    // A failed load is retried by the next search rather than remembered.
    if (!(error instanceof QueryError)) engine = null;
    self.postMessage({ id, error: String(error && error.message ? error.message : error) });
  }
};

class QueryError extends Error {}

async function fetchBytes(url, what) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin" });
  } catch (error) {
    throw new Error(`plugdex search: cannot fetch the ${what} (${url}): ${error.message}`);
  }
  if (!response.ok) {
    throw new Error(`plugdex search: the ${what} (${url}) answered HTTP ${response.status}`);
  }
  return response;
}

async function load(root) {
  const configUrl = new URL("config.json", root);
  const engineUrl = new URL(ENGINE, self.location.href);
  // The engine and config.json in parallel, then the bundle config.json names.
  const compiled = fetchBytes(engineUrl, "search engine")
    .then((r) => r.arrayBuffer())
    .then((bytes) => WebAssembly.compile(bytes));
  const config = await (await fetchBytes(configUrl, "registry's config.json")).json();
  const search = config && config.search;
  if (!search || typeof search.bundle !== "string") {
    throw new Error(`plugdex search: ${configUrl} names no search bundle (rebuild the registry with a plugdex that writes one)`);
  }
  if (search.v !== BUNDLE_FORMAT) {
    throw new Error(`plugdex search: the registry's search bundle is format ${search.v}; this engine reads format ${BUNDLE_FORMAT}`);
  }
  // A large registry also has a smaller bundle for browsers (no README
  // text); the command line keeps the full one.
  if (search.browser !== undefined && typeof search.browser !== "string") {
    throw new Error(`plugdex search: ${configUrl} names a browser bundle that is not a path`);
  }
  const bundleUrl = new URL(search.browser ?? search.bundle, configUrl);
  const bundle = fetchBytes(bundleUrl, "search bundle").then((r) => r.arrayBuffer());
  return instantiate(await compiled, new Uint8Array(await bundle), bundleUrl);
}

async function instantiate(module, bundle, bundleUrl) {
  let memory = null;
  const imports = {
    env: {
      // getrandom's source (the engine draws no randomness to search, but
      // its dependencies link it).
      random_fill(ptr, len) {
        for (let at = 0; at < len; at += 65536) {
          crypto.getRandomValues(new Uint8Array(memory.buffer, ptr + at, Math.min(65536, len - at)));
        }
      },
    },
  };
  const instance = await WebAssembly.instantiate(module, imports);
  const abi = instance.exports;
  memory = abi.memory;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  // Copies `bytes` into the engine's memory; the call it is passed to owns them.
  const give = (bytes) => {
    const ptr = abi.plugdex_alloc(bytes.length);
    new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes);
    return ptr;
  };
  // The engine's answer to its last call: JSON.
  const output = () =>
    JSON.parse(decoder.decode(new Uint8Array(memory.buffer, abi.plugdex_output_ptr(), abi.plugdex_output_len())));

  if (abi.plugdex_open(give(bundle), bundle.length) !== 0) {
    throw new Error(`plugdex search: ${bundleUrl}: ${output().error}`);
  }
  return {
    search(query, filters) {
      const request = encoder.encode(JSON.stringify({ query, ...filters }));
      if (abi.plugdex_search(give(request), request.length) !== 0) {
        throw new QueryError(`plugdex search: ${output().error}`);
      }
      return output();
    },
  };
}
