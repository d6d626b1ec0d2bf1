/* plugdex site script. Everything works without it except search-as-you-type;
   it adds the theme toggle, "/" to search, the "Works with" version selector,
   and loads the search engine only when first needed. No inline code: the
   pages' Content-Security-Policy allows scripts from the site only. */
(function () {
  "use strict";
  var THEME_KEY = "plugdex-theme", VERSION_KEY = "plugdex-engine-version";
  var root = document.documentElement;
  function stored(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }
  function store(key, value) { try { if (value) localStorage.setItem(key, value); else localStorage.removeItem(key); } catch (e) { /* private mode */ } }
  // Loaded in <head> without defer so the saved theme applies before the first paint.
  var saved = stored(THEME_KEY);
  if (saved === "dark" || saved === "light") root.setAttribute("data-theme", saved);

  function isDark() {
    var t = root.getAttribute("data-theme");
    if (t) return t === "dark";
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  function themeToggle() {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    function label() {
      var dark = isDark();
      button.setAttribute("aria-pressed", dark ? "true" : "false");
      button.textContent = "Dark theme";
    }
    button.hidden = false;
    label();
    button.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      store(THEME_KEY, next);
      label();
    });
  }

  function slashFocusesSearch() {
    document.addEventListener("keydown", function (e) {
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
      var t = e.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      var box = document.getElementById("search-query") || document.getElementById("search-box");
      if (box) { e.preventDefault(); box.focus(); }
    });
  }

  // ---- SemVer requirements as Cargo reads them (the semver crate's rules) ----
  function parseVersion(text) {
    var m = /^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?\s*$/.exec(text || "");
    if (!m) return null;
    return { major: +m[1], minor: +(m[2] || 0), patch: +(m[3] || 0), pre: m[4] ? m[4].split(".") : [] };
  }
  function comparePre(a, b) {
    if (!a.length || !b.length) return (b.length ? 1 : 0) - (a.length ? 1 : 0);
    for (var i = 0; i < Math.min(a.length, b.length); i++) {
      var x = a[i], y = b[i], nx = /^\d+$/.test(x), ny = /^\d+$/.test(y);
      if (x === y) continue;
      if (nx && ny) return +x < +y ? -1 : 1;
      if (nx !== ny) return nx ? -1 : 1;
      return x < y ? -1 : 1;
    }
    return a.length - b.length;
  }
  function compare(a, b) {
    return (a.major - b.major) || (a.minor - b.minor) || (a.patch - b.patch) || comparePre(a.pre, b.pre);
  }
  function v(major, minor, patch, pre) { return { major: major, minor: minor, patch: patch, pre: pre || [] }; }
  // One comparator as a range [lo, hi): null ends are open.
  function comparator(text) {
    var m = /^\s*(=|>=|<=|>|<|~|\^)?\s*v?(\d+|\*|x|X)(?:\.(\d+|\*|x|X))?(?:\.(\d+|\*|x|X))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?\s*$/.exec(text);
    if (!m) return null;
    var wild = function (s) { return s === undefined || /^[*xX]$/.test(s); };
    // A bare requirement is `^`, but one with a wildcard (`1.2.*`) is `=`.
    var op = m[1] || (/^[*xX]$/.test(m[3] || "") || /^[*xX]$/.test(m[4] || "") ? "=" : "^");
    if (wild(m[2])) return { lo: null, hi: null, pre: null };
    var I = +m[2], hasJ = !wild(m[3]), J = hasJ ? +m[3] : 0, hasK = hasJ && !wild(m[4]), K = hasK ? +m[4] : 0;
    var pre = m[5] ? m[5].split(".") : [], at = v(I, J, K, pre);
    var next = hasK ? v(I, J, K + 1, ["0"]) : hasJ ? v(I, J + 1, 0, ["0"]) : v(I + 1, 0, 0, ["0"]);
    var r = { lo: null, hi: null, loIncl: true, pre: pre.length ? [I, J, K] : null };
    switch (op) {
      case "=": r.lo = at; r.hi = hasK ? null : next; if (hasK) { r.exact = at; } break;
      case ">": if (hasK) { r.lo = at; r.loIncl = false; } else r.lo = hasJ ? v(I, J + 1, 0) : v(I + 1, 0, 0); break;
      case ">=": r.lo = at; break;
      case "<": r.hi = v(I, J, K, pre.length ? pre : ["0"]); if (pre.length) r.hiPre = true; break;
      case "<=": if (hasK) { r.hi = at; r.hiIncl = true; } else r.hi = next; break;
      case "~": r.lo = at; r.hi = hasJ ? v(I, J + 1, 0, ["0"]) : v(I + 1, 0, 0, ["0"]); break;
      default: // ^
        r.lo = at;
        if (I > 0 || !hasJ) r.hi = v(I + 1, 0, 0, ["0"]);
        else if (J > 0 || !hasK) r.hi = v(0, J + 1, 0, ["0"]);
        else r.hi = v(0, 0, K + 1, ["0"]);
    }
    return r;
  }
  function within(ver, r) {
    if (r.exact) return compare(ver, r.exact) === 0;
    if (r.lo) { var c = compare(ver, r.lo); if (c < 0 || (c === 0 && !r.loIncl)) return false; }
    if (r.hi) { var d = compare(ver, r.hi); if (d > 0 || (d === 0 && !r.hiIncl)) return false; }
    return true;
  }
  function matches(req, ver) {
    var parts = req.split(","), ranges = [];
    for (var i = 0; i < parts.length; i++) { var r = comparator(parts[i]); if (!r) return null; ranges.push(r); }
    for (var j = 0; j < ranges.length; j++) if (!within(ver, ranges[j])) return false;
    // A pre-release matches only a requirement that names a pre-release of the same version.
    if (ver.pre.length) {
      return ranges.some(function (r) { return r.pre && r.pre[0] === ver.major && r.pre[1] === ver.minor && r.pre[2] === ver.patch; });
    }
    return true;
  }

  // For tests/site.rs, which checks it against the semver crate.
  window.plugdexRequirementMatches = function (req, version) {
    var ver = parseVersion(version);
    return ver ? matches(req, ver) : null;
  };

  function worksWith() {
    var form = document.getElementById("works-with"), input = document.getElementById("host-version");
    var marked = document.querySelectorAll("[data-engine]");
    if (!form || !input || !marked.length) return;
    form.hidden = false;
    function mark() {
      var ver = parseVersion(input.value);
      store(VERSION_KEY, ver ? input.value.trim() : "");
      for (var i = 0; i < marked.length; i++) {
        var el = marked[i], req = el.getAttribute("data-engine");
        if (!req || el.tagName === "FORM") continue;
        var note = el.querySelector(":scope > .works, :scope > th > .works");
        var ok = ver ? matches(req, ver) : null;
        if (ok === null) { el.removeAttribute("data-works"); if (note) note.remove(); continue; }
        el.setAttribute("data-works", ok ? "yes" : "no");
        if (!note) {
          note = document.createElement("span");
          (el.tagName === "TR" ? el.firstElementChild : el).appendChild(note);
        }
        note.className = "works " + (ok ? "yes" : "no");
        note.textContent = ok ? "works with " + input.value.trim() : "not for " + input.value.trim();
      }
    }
    input.value = stored(VERSION_KEY) || "";
    input.addEventListener("input", mark);
    form.addEventListener("submit", function (e) { e.preventDefault(); mark(); });
    mark();
  }

  function canonical(name) { return name.toLowerCase().replace(/_/g, "-"); }

  function search() {
    var form = document.getElementById("search-form");
    if (!form) return;
    var input = document.getElementById("search-query"), status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    var module = form.getAttribute("data-engine"), base = form.getAttribute("data-root") || "/";
    var query = new URLSearchParams(location.search).get("q") || "";
    input.value = query;
    var header = document.getElementById("search-box");
    if (header) header.value = query;
    if (!module) return; // the page already says search is not available and links the listings
    status.textContent = "Type to search.";
    var engine = null, seq = 0;
    function load() {
      if (!engine) engine = import(module).then(function (m) { return m.openSearch({ root: base }); });
      return engine;
    }
    function show(q, answer) {
      list.textContent = "";
      answer.results.forEach(function (r) {
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = base + "plugins/" + canonical(r.name) + "/";
        a.textContent = r.name;
        li.appendChild(a);
        var ver = document.createElement("span");
        ver.className = "version";
        ver.textContent = " " + r.version + " ";
        li.appendChild(ver);
        li.appendChild(document.createTextNode(r.description || ""));
        list.appendChild(li);
      });
      status.textContent = q ? answer.total + (answer.total === 1 ? " plugin matches" : " plugins match") + " \u201c" + q + "\u201d." : "Type to search.";
    }
    function run() {
      var q = input.value.trim(), mine = ++seq;
      var url = q ? "?q=" + encodeURIComponent(q) : location.pathname;
      history.replaceState(null, "", url);
      if (!q) { list.textContent = ""; status.textContent = "Type to search."; return; }
      load().then(function (e) { return e.search(q, { limit: 50 }); }).then(function (answer) {
        if (mine === seq) show(q, answer);
      }, function () { status.textContent = "Search failed to load."; });
    }
    var timer = 0;
    input.addEventListener("focus", load, { once: true });
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 120); });
    form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
    if (query) run();
  }

  document.addEventListener("DOMContentLoaded", function () {
    themeToggle();
    slashFocusesSearch();
    worksWith();
    search();
  });
})();
