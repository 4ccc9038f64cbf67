/* opsbook: "find by symptom" in the browser. Same answers as opsbook/features/triage.py and
   opsbook/features/answer.py, from api/triage.json (the ranking index and, per runbook, the past incidents).
   No dependencies; a test runs this file and the Python code on the same texts and requires equal answers. */
(function (root) {
  "use strict";

  var WORD = /[A-Za-z0-9_]+/g;
  var CAMEL = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g;

  /* opsbook.records.regex_dialect.canonical_text */
  function canonical(text) {
    return text.replace(/\r\n?/g, "\n")
      .replace(/[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/g, " ")
      .replace(/[\ud800-\udbff][\udc00-\udfff]/g, "\ufffd")
      .replace(/[\ud800-\udfff]/g, "\ufffd")
      .replace(/[ \t\n\v\f]+$/, "");
  }

  function search(pattern, text, caseSensitive) {
    return new RegExp(pattern, caseSensitive ? "" : "i").exec(text);
  }

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
    (text.match(WORD) || []).forEach(function (word) {
      var lower = word.toLowerCase();
      var pieces = [lower];
      if (lower.indexOf("_") >= 0) {
        lower.split("_").forEach(function (p) { if (p) pieces.push(p); });
      }
      var camel = word.replace(/_/g, " ").match(CAMEL) || [];
      if (camel.length > 1) camel.forEach(function (p) { pieces.push(p.toLowerCase()); });
      unique(pieces).forEach(function (piece) {
        if (piece.length > 1 && !stopwords[piece]) found.push(stem(piece));
      });
    });
    return found;
  }

  function phrases(text, stopwords) {
    var words = [];
    (text.match(WORD) || []).forEach(function (word) {
      var parts = word.replace(/_/g, " ").match(CAMEL) || [];
      (parts.length > 1 ? parts : [word]).forEach(function (part) {
        var lower = part.toLowerCase();
        if (lower.length > 1 && !stopwords[lower]) words.push(stem(lower));
      });
    });
    var pairs = [];
    for (var i = 0; i + 1 < words.length; i++) pairs.push(words[i] + " " + words[i + 1]);
    return pairs;
  }

  function normalise(text) {
    return text.replace(/\s+/g, " ").trim().toLowerCase();
  }

  function dict() {
    return Object.create(null);
  }

  function asSet(list) {
    var set = dict();
    list.forEach(function (item) { set[item] = true; });
    return set;
  }

  function unique(list) {
    var seen = dict(), out = [];
    list.forEach(function (item) {
      if (!seen[item]) { seen[item] = true; out.push(item); }
    });
    return out;
  }

  function has(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  function splitSignature(signature) {
    if (signature.length > 2 && signature[0] === "/" && signature[signature.length - 1] === "/") {
      return [signature.slice(1, -1), true];
    }
    return [signature, false];
  }

  /* What TriageIndex.__post_init__ derives from the published index. */
  function prepare(index) {
    if (index.prepared) return index.prepared;
    function idf(key) {
      var counts = dict(), out = dict();
      index.documents.forEach(function (d) {
        Object.keys(d[key]).forEach(function (k) { counts[k] = (counts[k] || 0) + 1; });
      });
      Object.keys(counts).forEach(function (k) { out[k] = index.idf_by_frequency[counts[k]]; });
      return out;
    }
    function conceptIdf() {
      var counts = dict(), out = dict();
      index.documents.forEach(function (d) { d.concepts.forEach(function (c) { counts[c] = (counts[c] || 0) + 1; }); });
      Object.keys(counts).forEach(function (k) { out[k] = index.idf_by_frequency[counts[k]]; });
      return out;
    }
    var count = index.documents.length || 1;
    var length = 0, phraseLength = 0;
    index.documents.forEach(function (d) { length += d.length; phraseLength += d.phrase_length; });
    index.prepared = {
      stopwords: asSet(index.stopwords), generic: asSet(index.generic),
      idf: idf("tf"), phraseIdf: idf("phrases"), conceptIdf: conceptIdf(),
      averageLength: length / count || 1.0, averagePhraseLength: phraseLength / count || 1.0,
      classes: index.outcomes.slice(0, -1), none: index.outcomes[index.outcomes.length - 1]
    };
    return index.prepared;
  }

  function bm25(index, frequencies, length, average, idf, generic, query) {
    var norm = 1 - index.b + index.b * length / average;
    var score = 0.0, matched = [];
    query.forEach(function (term) {
      var tf = has(frequencies, term) ? frequencies[term] : 0;
      if (!tf) return;
      var weight = term.split(" ").some(function (part) { return generic[part]; }) ? index.generic_weight : 1.0;
      score += weight * idf[term] * tf * (index.k1 + 1) / (tf + index.k1 * norm);
      matched.push(term);
    });
    return [score, matched];
  }

  function signatures(index, doc, text, query) {
    var hits = [];
    doc.signatures.forEach(function (signature, i) {
      var split = splitSignature(signature), strength;
      if (split[1]) {
        var found = search(split[0], text, false);
        if (!found) return;
        strength = found[0].length;
      } else {
        var needle = normalise(canonical(signature));
        if (needle.length < 4 || query.indexOf(needle) < 0) return;
        strength = needle.length;
      }
      var s = index.signature;
      var weight = s.base + Math.min(strength / 10 * s.per_10_chars, s.cap);
      hits.push([weight / doc.shares[i], signature]);
    });
    hits.sort(function (a, b) { return b[0] - a[0]; });
    hits = hits.slice(0, 2);
    var score = 0;
    hits.forEach(function (h) { score += h[0]; });
    return [score, hits.map(function (h) { return "signature: " + h[1]; })];
  }

  function evidence(index, text) {
    var p = prepare(index);
    text = canonical(text);
    var query = normalise(text);
    var terms = unique(tokenize(text, p.stopwords));
    var specific = terms.filter(function (term) { return !p.generic[term]; }).length;
    var pairs = unique(phrases(text, p.stopwords));
    var cues = [], cueFound = dict();
    index.cues.forEach(function (cue) {
      var found = search(cue.pattern, text, cue.case_sensitive);
      if (found) { cues.push(cue.name); cueFound[cue.name] = found[0].trim(); }
    });
    var scores = [], reasons = [];
    index.documents.forEach(function (doc) {
      var sig = signatures(index, doc, text, query);
      var why = sig[1];
      var t = bm25(index, doc.tf, doc.length, p.averageLength, p.idf, p.generic, terms);
      var ph = bm25(index, doc.phrases, doc.phrase_length, p.averagePhraseLength, p.phraseIdf, p.generic, pairs);
      var concept = 0;
      doc.concepts.forEach(function (name) { if (cueFound[name] !== undefined) concept += p.conceptIdf[name]; });
      if (t[1].length) why.push("terms: " + t[1].slice(0, 6).join(", "));
      if (ph[1].length) why.push("phrases: " + ph[1].slice(0, 3).map(function (x) { return "'" + x + "'"; }).join(", "));
      var covered = specific ? t[1].filter(function (term) { return !p.generic[term]; }).length / specific : 0.0;
      scores.push([sig[0], t[0], ph[0], concept, covered]);
      reasons.push(why);
    });
    var known = terms.filter(function (term) { return !p.generic[term] && has(p.idf, term); }).length;
    return { runbooks: scores, reasons: reasons, cues: cues, found: cueFound,
      unknown: specific ? 1 - known / specific : 0.0 };
  }

  var EVIDENCE = ["signature", "terms", "phrases", "concepts", "coverage"];

  function round3(value) {
    return Number(value.toFixed(3));
  }

  /* TriageIndex.triage: the verdict as Verdict.as_dict() gives it (seen_before added by `answer`). */
  function triage(index, text, top) {
    top = top || 3;
    var p = prepare(index), w = index.weights;
    var ev = evidence(index, text);
    var strength = ev.runbooks.map(function (scores) {
      var value = 0;
      EVIDENCE.forEach(function (name, i) { value += w.evidence[name] * scores[i]; });
      return value;
    });
    var best = p.classes.map(function () { return 0.0; });
    index.documents.forEach(function (doc, i) {
      var c = p.classes.indexOf(doc.failure_class);
      best[c] = Math.max(best[c], strength[i]);
    });
    var logits = index.outcomes.map(function (outcome) { return w.bias[outcome]; });
    logits[index.outcomes.indexOf(p.none)] += w.unknown * ev.unknown;
    ev.cues.forEach(function (name) {
      var per = w.cues[name] || {};
      Object.keys(per).forEach(function (outcome) { logits[index.outcomes.indexOf(outcome)] += per[outcome]; });
    });
    logits = logits.map(function (z, i) { return z + (i < p.classes.length ? best[i] : 0.0); });
    var peak = Math.max.apply(null, logits), total = 0;
    logits.forEach(function (z) { total += Math.exp(z - peak); });
    var probability = logits.map(function (z) { return Math.exp(z - peak) / total; });
    var ranked = logits.map(function (_, i) { return i; }).sort(function (a, b) {
      return probability[b] - probability[a] || a - b;
    });
    var answer = index.outcomes[ranked[0]];
    function name(outcome) { return outcome === p.none ? index.none_name : index.class_names[outcome]; }
    var matches = [];
    index.documents.forEach(function (doc, i) {
      var c = p.classes.indexOf(doc.failure_class);
      var relevance = probability[c] * Math.exp(strength[i] - best[c]);
      if (strength[i] <= 0 || relevance < w.relevance_floor) return;
      var why = ev.reasons[i].slice();
      var cues = unique(ev.cues.filter(function (n) {
        return doc.concepts.indexOf(n) >= 0 || ((w.cues[n] || {})[doc.failure_class] || 0) > 0;
      }).map(function (n) { return ev.found[n]; }));
      if (cues.length) why.push("cues: " + cues.map(function (f) { return "'" + f + "'"; }).join(", "));
      matches.push({ id: doc.id, title: doc.title, failure_class: doc.failure_class,
        class_name: index.class_names[doc.failure_class], relevance: relevance, why: why,
        url: doc.url, path: doc.path });
    });
    matches.sort(function (a, b) {
      return b.relevance - a.relevance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    });
    var confidence = probability[ranked[0]];
    return {
      query: text,
      failure_class: answer === p.none ? null : answer,
      class_name: answer === p.none ? null : index.class_names[answer],
      confidence: round3(confidence),
      unsure: confidence < w.unsure_below,
      classes: ranked.map(function (i) {
        return { id: index.outcomes[i], name: name(index.outcomes[i]), probability: round3(probability[i]) };
      }),
      matches: matches.slice(0, top).map(function (m) { m.relevance = round3(m.relevance); return m; }),
      seen_before: []
    };
  }

  /* opsbook.features.answer.answer over api/triage.json */
  function answer(data, text, top) {
    var verdict = triage(data.ranking, text, top);
    if (verdict.matches.length) verdict.seen_before = data.seen_before[verdict.matches[0].id] || [];
    return verdict;
  }

  var api = { canonical: canonical, tokenize: tokenize, phrases: phrases, triage: triage, answer: answer, stem: stem };
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

  function percent(value) {
    return Math.round(Math.min(value, 0.99) * 100) + "%";
  }

  function headline(verdict) {
    var others = verdict.classes.slice(0, 3).filter(function (c) { return c.id !== verdict.failure_class; });
    if (verdict.failure_class && !verdict.unsure) {
      return "Failure class: " + verdict.class_name + " (" + percent(verdict.confidence) + " sure). Open:";
    }
    if (verdict.failure_class) {
      return "Unsure: maybe " + verdict.class_name + " (" + percent(verdict.confidence) + "), or " +
        others.map(function (c) { return c.id === "none" ? "none of them" : c.name; }).join(" or ") +
        ". Compare the runbooks' symptoms with what you see before acting.";
    }
    if (!verdict.unsure) {
      return "No failure class (" + percent(verdict.confidence) + " sure): this looks like an ordinary bug, " +
        "not one of the five classes.";
    }
    var closest = verdict.classes.filter(function (c) { return c.id !== "none"; })[0];
    return "Unsure: probably none of the five failure classes (" + percent(verdict.confidence) +
      "); the closest is " + closest.name + ".";
  }

  /* A match less than half as relevant as the best is listed apart, as weaker: not as an equal. */
  var WEAK_BELOW = 0.5;

  function matchList(matches, className, base) {
    var list = element(className === "ob-triage__weak" ? "ul" : "ol", className);
    matches.forEach(function (m) {
      var item = element("li");
      var link = element("a", null, m.title);
      link.href = base + m.url;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" (" + m.class_name + ")"));
      item.appendChild(element("div", "ob-triage__why", m.why.join(" · ")));
      list.appendChild(item);
    });
    return list;
  }

  function show(box, verdict, base, titles) {
    var out = box.querySelector(".ob-triage__results");
    out.textContent = "";
    var heading = element("p", "ob-triage__verdict" + (verdict.unsure ? " ob-triage__verdict--unsure" : ""));
    heading.textContent = headline(verdict);
    out.appendChild(heading);
    if (!verdict.matches.length) return;
    var floor = verdict.matches[0].relevance * WEAK_BELOW;
    var strong = verdict.matches.filter(function (m) { return m.relevance >= floor; });
    var weak = verdict.matches.filter(function (m) { return m.relevance < floor; });
    out.appendChild(matchList(strong, "ob-triage__strong", base));
    if (weak.length) {
      out.appendChild(element("p", "ob-triage__weak-heading",
        "Weaker matches (less than half as relevant; compare their symptoms first):"));
      out.appendChild(matchList(weak, "ob-triage__weak", base));
    }
    if (!verdict.seen_before.length) return;
    out.appendChild(element("p", "ob-triage__seen-heading", "Seen before, with “" + verdict.matches[0].title + "”:"));
    var past = element("ul", "ob-triage__seen");
    verdict.seen_before.forEach(function (s) {
      var item = element("li");
      item.appendChild(document.createTextNode(s.date + " · " + s.severity + " · "));
      var link = element("a", null, s.title);
      link.href = base + s.url;
      item.appendChild(link);
      var how = s.via === "runbook" ? "this runbook helped: " + s.helped : "same error, other runbook";
      if (s.helpful_runbooks.length) {
        how += "; what helped: " + s.helpful_runbooks.map(function (id) { return titles[id] || id; }).join(", ");
      }
      var resolved = element("div", "ob-triage__why", "Resolved: ");
      /* `code` spans in the record's text become <code>, as on the incident page; all of it as text */
      (s.resolution || "not recorded; see the incident").split("`").forEach(function (part, i) {
        resolved.appendChild(i % 2 ? element("code", null, part) : document.createTextNode(part));
      });
      resolved.appendChild(document.createTextNode(" (" + how + ")"));
      item.appendChild(resolved);
      past.appendChild(item);
    });
    out.appendChild(past);
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

  /* A command block may scroll sideways: the keyboard must reach it. Every one gets a tab stop, whatever
     the screen: measuring which ones overflow would cost a layout. (Inline code's tokens are wrapped when
     the page is built: opsbook/site/render/code_tokens.py.) */
  function focusableWideCode() {
    document.querySelectorAll(".md-typeset pre > code:not([tabindex])")
      .forEach(function (code) { code.setAttribute("tabindex", "0"); });
  }

  function mount() {
    nameUnnamedControls();
    focusableScrollRegions();
    focusableWideCode();
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
      load(box.dataset.triage).then(function (data) {
        var titles = dict();
        data.ranking.documents.forEach(function (d) { titles[d.id] = d.title; });
        show(box, answer(data, text, 3), base, titles);
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
