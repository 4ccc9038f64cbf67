/* opsbook: "find by symptom" in the browser. Same ranking as opsbook/triage.py, from the published
   index in api/knowledge-base.json (key "triage"). No dependencies; a test runs both on the same queries. */
(function (root) {
  "use strict";

  var WORD = /[A-Za-z0-9_]+/g;
  var CAMEL = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g;

  function stem(word) {
    var n = word.length;
    if (n > 4 && word.slice(-3) === "ies") return word.slice(0, -3) + "y";
    if (n > 5 && word.slice(-3) === "ing") return word.slice(0, -3);
    if (n > 4 && word.slice(-2) === "ed" && word.slice(-3) !== "eed") return word.slice(0, -2);
    if (n > 3 && word.slice(-1) === "s" && !/(ss|us|is)$/.test(word)) return word.slice(0, -1);
    return word;
  }

  function tokenize(text, stopwords) {
    var found = [];
    var words = text.match(WORD) || [];
    words.forEach(function (word) {
      var lower = word.toLowerCase();
      var pieces = [lower];
      if (lower.indexOf("_") >= 0) {
        lower.split("_").forEach(function (p) { if (p) pieces.push(p); });
      }
      var camel = word.replace(/_/g, " ").match(CAMEL) || [];
      if (camel.length > 1) camel.forEach(function (p) { pieces.push(p.toLowerCase()); });
      var seen = {};
      pieces.forEach(function (piece) {
        if (seen[piece]) return;
        seen[piece] = true;
        if (piece.length > 1 && !stopwords[piece]) found.push(stem(piece));
      });
    });
    return found;
  }

  function normalise(text) {
    return text.replace(/\s+/g, " ").trim().toLowerCase();
  }

  function asSet(list) {
    var set = {};
    list.forEach(function (item) { set[item] = true; });
    return set;
  }

  function unique(list) {
    var seen = {}, out = [];
    list.forEach(function (item) { if (!seen[item]) { seen[item] = true; out.push(item); } });
    return out;
  }

  function signatures(index, doc, text, query) {
    var hits = [];
    doc.signatures.forEach(function (signature) {
      var strength;
      if (signature.length > 2 && signature[0] === "/" && signature[signature.length - 1] === "/") {
        var found;
        try { found = new RegExp(signature.slice(1, -1), "i").exec(text); } catch (e) { return; }
        if (!found) return;
        strength = found[0].length;
      } else {
        var needle = normalise(signature);
        if (needle.length < 4 || query.indexOf(needle) < 0) return;
        strength = needle.length;
      }
      var s = index.signature;
      var weight = s.base + Math.min(strength / 10 * s.per_10_chars, s.cap);
      hits.push([weight / (index.signature_share[normalise(signature)] || 1), signature]);
    });
    hits.sort(function (a, b) { return b[0] - a[0]; });
    hits = hits.slice(0, 2);
    var score = 0;
    hits.forEach(function (h) { score += h[0]; });
    return [score, hits.map(function (h) { return "signature: " + h[1]; })];
  }

  function triage(index, text, top) {
    top = top || 3;
    var stopwords = asSet(index.stopwords), generic = asSet(index.generic);
    var query = normalise(text);
    var terms = unique(tokenize(text, stopwords));
    var cueScores = {}, cueReasons = {};
    index.cues.forEach(function (cue) {
      var found = new RegExp(cue.pattern, cue.case_sensitive ? "" : "i").exec(text);
      if (!found) return;
      cueScores[cue["class"]] = (cueScores[cue["class"]] || 0) + cue.weight;
      (cueReasons[cue["class"]] = cueReasons[cue["class"]] || []).push(found[0].trim());
    });
    var scored = [];
    index.documents.forEach(function (doc) {
      var sig = signatures(index, doc, text, query);
      var why = sig[1];
      var norm = 1 - index.b + index.b * doc.length / index.average_length;
      var termScore = 0, matched = [];
      terms.forEach(function (term) {
        var tf = doc.tf[term];
        if (!tf) return;
        var weight = generic[term] ? index.generic_weight : 1.0;
        termScore += weight * index.idf[term] * tf * (index.k1 + 1) / (tf + index.k1 * norm);
        matched.push(term);
      });
      var cls = doc.failure_class;
      var cue = Math.min(cueScores[cls] || 0, 8.0) * index.cue_share;
      var total = sig[0] + termScore + cue;
      if (matched.length) why.push("terms: " + matched.slice(0, 8).join(", "));
      if (cue) {
        why.push(cls + " cues: " + cueReasons[cls].slice(0, 3).map(function (r) { return "'" + r + "'"; }).join(", "));
      }
      if (total > 0) {
        var specific = matched.filter(function (t) { return !generic[t]; }).length;
        scored.push({ total: total, signature: sig[0], terms: termScore, specific: specific,
          match: { id: doc.id, title: doc.title, failure_class: cls, score: total, why: why, url: doc.url } });
      }
    });
    scored.sort(function (a, b) {
      if (b.total !== a.total) return b.total - a.total;
      return a.match.id < b.match.id ? -1 : a.match.id > b.match.id ? 1 : 0;
    });
    var decision = decide(index, scored, cueScores);
    return {
      query: text,
      failure_class: decision[0],
      confidence: Math.round(decision[1] * 1000) / 1000,
      matches: (decision[0] || scored.length ? scored.slice(0, top) : []).map(function (s) {
        var m = s.match;
        m.score = Math.round(m.score * 1000) / 1000;
        return m;
      })
    };
  }

  function decide(index, scored, cues) {
    var best = {}, order = [];
    scored.forEach(function (s) {
      var cls = s.match.failure_class;
      if (!best[cls]) { best[cls] = s; order.push(cls); }
    });
    if (!order.length) return [null, 0.0];
    order.sort(function (a, b) { return best[b].total - best[a].total; });
    var first = best[order[0]];
    var top = first.total, second = order.length > 1 ? best[order[1]].total : 0.0;
    var textEvidence = first.terms >= index.min_term_score * 2 && first.specific >= index.min_specific_terms;
    var evidence = first.signature > 0 || (cues[order[0]] || 0) >= 2 || textEvidence;
    var against = cues.none || 0;
    if (!evidence || (against >= Math.max(cues[order[0]] || 0, 1) && first.signature === 0)) return [null, 0.0];
    var strength = 1 - Math.exp(-top / 8);
    var margin = top ? (top - second) / top : 0.0;
    return [order[0], Math.max(0.0, Math.min(1.0, strength * (0.5 + 0.5 * margin)))];
  }

  var api = { tokenize: tokenize, triage: triage, stem: stem };
  if (typeof module === "object" && module.exports) module.exports = api;
  root.opsbookTriage = api;

  /* ---- the home page's symptom box ---- */
  if (typeof document === "undefined") return;
  var loaded = null;

  function load(url) {
    if (!loaded) {
      loaded = fetch(url).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      });
    }
    return loaded;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function show(box, verdict, base) {
    var out = box.querySelector(".ob-triage__results");
    out.textContent = "";
    var heading = element("p", "ob-triage__verdict");
    heading.textContent = verdict.failure_class
      ? "Looks like " + verdict.failure_class + " (confidence " + verdict.confidence.toFixed(2) + "). Open these runbooks:"
      : "This does not look like one of the five failure classes." +
        (verdict.matches.length ? " Closest runbooks, for what they are worth:" : "");
    out.appendChild(heading);
    if (!verdict.matches.length) return;
    var list = element("ol");
    verdict.matches.forEach(function (m) {
      var item = element("li");
      var link = element("a", null, m.title);
      link.href = base + m.url;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" (" + m.failure_class + ")"));
      var why = element("div", "ob-triage__why", m.why.join(" · "));
      item.appendChild(why);
      list.appendChild(item);
    });
    out.appendChild(list);
  }

  /* Wide tables scroll sideways; a scrollable region must be reachable by keyboard. */
  function focusableScrollRegions() {
    document.querySelectorAll(".md-typeset__scrollwrap").forEach(function (region) {
      if (region.hasAttribute("tabindex")) return;
      region.setAttribute("tabindex", "0");
      region.setAttribute("role", "region");
      var caption = region.closest("article") && region.previousElementSibling;
      region.setAttribute("aria-label", caption && /^H[2-4]$/.test(caption.tagName) ? caption.textContent.replace("¶", "").trim() : "Table");
    });
  }

  /* Material leaves two controls without an accessible name: the search dialog, and the table of contents
     toggle of a page that has no table of contents. Names from the theme's own (translated) labels. */
  function nameUnnamedControls() {
    var dialog = document.querySelector(".md-search[role=dialog]:not([aria-label])");
    var input = document.querySelector(".md-search__input");
    if (dialog) dialog.setAttribute("aria-label", (input && input.getAttribute("aria-label")) || "Search");
    var toggle = document.getElementById("__toc");
    if (toggle && !toggle.hasAttribute("aria-label") && !document.querySelector("label[for='__toc']")) {
      var toc = document.querySelector(".md-nav--secondary[aria-label]");
      toggle.setAttribute("aria-label", toc ? toc.getAttribute("aria-label") : "Table of contents");
    }
  }

  function mount() {
    nameUnnamedControls();
    focusableScrollRegions();
    var box = document.querySelector(".ob-triage");
    if (!box || box.dataset.mounted) return;
    box.dataset.mounted = "1";
    var form = box.querySelector("form");
    var input = box.querySelector("textarea");
    var base = box.dataset.base || "";
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      if (!text.trim()) return;
      load(box.dataset.export).then(function (kb) {
        show(box, triage(kb.triage, text, 3), base);
      }).catch(function (error) {
        box.querySelector(".ob-triage__results").textContent = "Could not load the runbook index: " + error.message;
      });
    });
  }

  if (root.document$ && typeof root.document$.subscribe === "function") {
    root.document$.subscribe(mount);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
})(typeof window !== "undefined" ? window : globalThis);
