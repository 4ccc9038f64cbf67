"""Symptom triage: pasted error text → the failure class and the runbooks to open, with reasons and a
confidence that means what it says.

Two steps (docs/reference/how-triage-works.md explains them for users):

1. Evidence, fixed functions of the text and the runbooks: for every runbook its signature score (literal
   or `/regex/` signatures found in the text), a BM25 score over single terms and one over adjacent-term
   phrases (title, signatures, symptoms, keywords, summary and providers, weighted per field), the
   shared concepts (cues, below, that match both the text and the runbook) and the coverage (the share of
   the text's specific words the runbook contains); for the whole text the class
   cues that match — patterns that point at a class (401 and missing variables → auth-drift, 429 and
   failover → fallback, …) or at none of them (crashes, UI and database bugs, dependency conflicts…).
2. A multinomial logistic model over the five classes and `none`, whose weights were learned on the
   development split of the evaluation set (`triage_weights.json`, written by scripts/train_triage.py):
   class logit = bias + its cues + its best runbook's weighted evidence; `none` = bias + the ordinary-bug
   cues + a weight times the text's unknown words (the share of its specific words no runbook contains,
   `Evidence.unknown`). The class probabilities are the confidence; below the threshold chosen on the development split
   the answer is marked unsure. A runbook's relevance is its share of the same distribution, and runbooks
   under the relevance floor are left out.

The site's `assets/opsbook/opsbook.js` implements the identical computation from `export()`; a test runs
both on the same texts and requires equal answers. Patterns follow `opsbook.records.regex_dialect`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from opsbook.checks.cross_record import FAILURE_CLASSES
from opsbook.features.rows import class_titles
from opsbook.features.triage_cues import CUES, NONE, Cue
from opsbook.features.urls import page_url, runbook_page
from opsbook.records.regex_dialect import canonical_text, compiled, portable, search, split_signature

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex

CLASSES: tuple[str, ...] = FAILURE_CLASSES
OUTCOMES: tuple[str, ...] = (*CLASSES, NONE)
"""What an answer can be: one of the five classes, or none of them."""
NONE_NAME = "None of the five classes"
NONE_BOUNDARY = (
    "An ordinary bug in the code, the platform or the set-up: a crash, a programming or parse error, a UI "
    "regression, an install or dependency problem, a wrong argument. Such reports often borrow the classes' "
    "words (session, token, deploy, cache, permission, 401, 429) while the cause is none of the five."
)
"""What `none` means, for whoever decides between it and the classes (the class catalog says it for each class)."""
EVIDENCE = ("signature", "terms", "phrases", "concepts", "coverage")
WEIGHTS_FILE = Path(__file__).with_name("triage_weights.json")

FIELD_WEIGHTS = {"title": 3, "signatures": 3, "symptoms": 2, "keywords": 2, "summary": 1, "providers": 1}
PHRASE_FIELDS = ("title", "signatures", "symptoms", "keywords")
"""Phrases come from the short fields; the summary's would double the index for little."""
K1, B = 1.2, 0.75
SIGNATURE_BASE, SIGNATURE_PER_10_CHARS, SIGNATURE_CAP = 6.0, 1.0, 6.0

STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does doesn don for from had has have how i if in
    into is it its just me my no not of on once only or our so some than that the their them then there these
    they this to too up was we were what when where which while who why will with would you your yet after
    again all also am any because before being both each few get got here more most much other out over own
    same should such very can't isn't it's i'm we're there's still even""".split()
)


_WORD = re.compile(r"[A-Za-z0-9_]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_SPACES = re.compile(r"\s+")


def stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


GENERIC = frozenset(
    stem(word)
    for word in """error errors fail failed failure fails cannot unable issue bug problem broken work works
    working use using used read get set run running request response message code type value data undefined
    null none true false new old page app application user users time times way thing show shows see start
    starts long short fairly sometimes always never happen happens try tried trying instead correctly properly
    seem seems anymore first one""".split()
)
"""Words that appear in every kind of error report: they count, but far less than specific terms."""
GENERIC_WEIGHT = 0.25


def tokenize(text: str) -> list[str]:
    """Tokens for error strings: whole identifiers plus their snake_case and camelCase parts."""
    found: list[str] = []
    for word in _WORD.findall(text):
        lower = word.lower()
        pieces = [lower]
        if "_" in lower:
            pieces += [p for p in lower.split("_") if p]
        camel = _CAMEL.findall(word.replace("_", " "))
        if len(camel) > 1:
            pieces += [p.lower() for p in camel]
        for piece in dict.fromkeys(pieces):
            if len(piece) > 1 and piece not in STOPWORDS:
                found.append(stem(piece))
    return found


def phrases(text: str) -> list[str]:
    """Adjacent pairs of words, after stop words are dropped and identifiers split into their parts:
    "deployed but still old" → "deploy old"."""
    words: list[str] = []
    for word in _WORD.findall(text):
        parts = _CAMEL.findall(word.replace("_", " "))
        for part in parts if len(parts) > 1 else [word]:
            lower = part.lower()
            if len(lower) > 1 and lower not in STOPWORDS:
                words.append(stem(lower))
    return [f"{first} {second}" for first, second in itertools.pairwise(words)]


def normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip().lower()


@dataclass(frozen=True, slots=True)
class Weights:
    """The learned model (see scripts/train_triage.py): evidence weights shared by all runbooks, one bias per
    outcome, one weight per cue and outcome, the weight of the text's unknown words for `none`, the confidence
    below which an answer is unsure and the relevance below which a runbook is not listed."""

    evidence: dict[str, float]
    bias: dict[str, float]
    cues: dict[str, dict[str, float]]
    unknown: float
    unsure_below: float
    relevance_floor: float

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Weights:
        return cls(
            {name: float(data["evidence"][name]) for name in EVIDENCE},
            {name: float(data["bias"][name]) for name in OUTCOMES},
            {cue: {k: float(v) for k, v in per.items()} for cue, per in data["cues"].items()},
            float(data["unknown"]),
            float(data["unsure_below"]),
            float(data["relevance_floor"]),
        )

    @classmethod
    def bundled(cls) -> Weights:
        return cls.from_dict(json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Match:
    id: str
    title: str
    failure_class: str
    class_name: str
    relevance: float
    why: list[str]
    url: str | None = None
    path: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "relevance": round(self.relevance, 3)}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One answer. `failure_class` is None when the text looks like none of the five classes; `confidence` is
    the probability of the answer given (class or none), and `unsure` says it is below the calibrated
    threshold. `classes` ranks the five classes and `none` by probability; `matches` are the runbooks above
    the relevance floor; `seen_before` the past incidents of the first one (see `opsbook.features.seen`)."""

    query: str
    failure_class: str | None
    class_name: str | None
    confidence: float
    unsure: bool
    classes: list[tuple[str, str, float]]
    matches: list[Match]
    seen_before: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "failure_class": self.failure_class,
            "class_name": self.class_name,
            "confidence": round(self.confidence, 3),
            "unsure": self.unsure,
            "classes": [{"id": c, "name": name, "probability": round(p, 3)} for c, name, p in self.classes],
            "matches": [m.as_dict() for m in self.matches],
            "seen_before": self.seen_before,
        }


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the text shows, before any weight: per runbook (in index order) its signature, term, phrase and
    concept scores with the reasons, the cues that matched with the text they matched, and the share of the
    text's specific words that no runbook contains (`unknown`: high for a bug report about something else)."""

    runbooks: list[tuple[float, ...]]
    reasons: list[list[str]]
    cues: dict[str, str]
    unknown: float


@dataclass
class TriageIndex:
    """Runbooks reduced to what ranking needs; `export()` is what the site publishes for the browser.

    The inverse document frequencies are not stored per term: `idf_by_frequency[n]` is the idf of a term,
    phrase or concept found in n runbooks, and both sides count n from the documents (Python only for the
    words of the text at hand)."""

    documents: list[dict[str, Any]]
    idf_by_frequency: list[float]
    class_names: dict[str, str]
    weights: Weights
    concept_idf: dict[str, float] = field(init=False)
    average_length: float = field(init=False)
    average_phrase_length: float = field(init=False)
    signature_tests: list[list[SignatureTest]] = field(init=False)
    """Per document, its signatures prepared once: a server triages many texts, and Python's own cache of
    compiled expressions holds fewer than a large knowledge base has."""

    def __post_init__(self) -> None:
        self.signature_tests = [
            [
                SignatureTest(signature, share, compiled(pattern) if is_regex else normalise_signature(signature))
                for signature, share in zip(document["signatures"], document["shares"], strict=True)
                for pattern, is_regex in [split_signature(signature)]
            ]
            for document in self.documents
        ]
        self.concept_idf = self._idf("concepts", {c for d in self.documents for c in d["concepts"]})
        count = len(self.documents) or 1
        self.average_length = sum(d["length"] for d in self.documents) / count or 1.0
        self.average_phrase_length = sum(d["phrase_length"] for d in self.documents) / count or 1.0

    @classmethod
    def build(
        cls,
        runbooks: Iterable[Mapping[str, Any]],
        class_names: Mapping[str, str] | None = None,
        weights: Weights | None = None,
    ) -> TriageIndex:
        documents = []
        for runbook in runbooks:
            if runbook.get("status", "active") == "deprecated":
                continue
            terms: Counter[str] = Counter()
            pairs: Counter[str] = Counter()
            texts: list[str] = []
            for field_name, weight in FIELD_WEIGHTS.items():
                value = runbook.get(field_name) or []
                for text in [value] if isinstance(value, str) else value:
                    text = canonical_text(split_signature(text)[0] if field_name == "signatures" else text)
                    texts.append(text)
                    for token in tokenize(text):
                        terms[token] += weight
                    for pair in phrases(text) if field_name in PHRASE_FIELDS else ():
                        pairs[pair] += weight
            documents.append(
                {
                    "id": runbook["id"],
                    "title": runbook["title"],
                    "failure_class": runbook["failure_class"],
                    "url": runbook.get("url"),
                    "path": runbook.get("path"),
                    "signatures": [s for s in dict.fromkeys(runbook.get("signatures", [])) if portable(s)],
                    "tf": dict(sorted(terms.items())),
                    "length": sum(terms.values()),
                    "phrases": dict(sorted(pairs.items())),
                    "phrase_length": sum(pairs.values()),
                    "concepts": [c.name for c in CUES if c.targets != (NONE,) and _cue_search(c, "\n".join(texts))],
                }
            )
        holders = Counter(normalise_signature(s) for d in documents for s in d["signatures"])
        for document in documents:
            document["shares"] = [holders[normalise_signature(s)] for s in document["signatures"]]
        count = len(documents)
        return cls(
            documents,
            [math.log(1 + (count - n + 0.5) / (n + 0.5)) for n in range(count + 1)],
            {c: (class_names or {}).get(c) or c.replace("-", " ").capitalize() for c in CLASSES},
            weights or Weights.bundled(),
        )

    def export(self) -> dict[str, Any]:
        """Everything the browser needs to rank exactly like this module (see assets/opsbook.js)."""
        return {
            "k1": K1,
            "b": B,
            "signature": {"base": SIGNATURE_BASE, "per_10_chars": SIGNATURE_PER_10_CHARS, "cap": SIGNATURE_CAP},
            "generic_weight": GENERIC_WEIGHT,
            "generic": sorted(GENERIC),
            "stopwords": sorted(STOPWORDS),
            "outcomes": list(OUTCOMES),
            "none_name": NONE_NAME,
            "cues": [
                {"name": c.name, "pattern": c.pattern, "targets": list(c.targets), "case_sensitive": c.case_sensitive}
                for c in CUES
            ],
            "weights": self.weights.as_dict(),
            "idf_by_frequency": self.idf_by_frequency,
            "class_names": self.class_names,
            "documents": self.documents,
        }

    @classmethod
    def from_export(cls, data: Mapping[str, Any]) -> TriageIndex:
        return cls(
            list(data["documents"]),
            list(data["idf_by_frequency"]),
            dict(data["class_names"]),
            Weights.from_dict(data["weights"]),
        )

    def evidence(self, text: str) -> Evidence:
        """The weight-free evidence of `text` (also what scripts/train_triage.py learns from)."""
        text = canonical_text(text)
        query = normalise(text)
        terms = list(dict.fromkeys(tokenize(text)))
        specific = sum(term not in GENERIC for term in terms)
        pairs = list(dict.fromkeys(phrases(text)))
        term_idf, phrase_idf = self._idf("tf", terms), self._idf("phrases", pairs)
        cues = {}
        for cue in CUES:
            found = _cue_search(cue, text)
            if found:
                cues[cue.name] = found.group(0).strip()
        scores: list[tuple[float, ...]] = []
        reasons: list[list[str]] = []
        for document, tests in zip(self.documents, self.signature_tests, strict=True):
            signature, why = _signature_evidence(tests, text, query)
            term_score, matched = _bm25(document["tf"], document["length"], self.average_length, term_idf, terms)
            phrase_score, matched_pairs = _bm25(
                document["phrases"], document["phrase_length"], self.average_phrase_length, phrase_idf, pairs
            )
            shared = [name for name in document["concepts"] if name in cues]
            concept_score = sum((self.concept_idf[name] for name in shared), 0.0)
            if matched:
                why.append("terms: " + ", ".join(matched[:6]))
            if matched_pairs:
                why.append("phrases: " + ", ".join(f"'{p}'" for p in matched_pairs[:3]))
            covered = sum(term not in GENERIC for term in matched) / specific if specific else 0.0
            scores.append((signature, term_score, phrase_score, concept_score, covered))
            reasons.append(why)
        known = sum(term not in GENERIC and term in term_idf for term in terms)
        return Evidence(scores, reasons, cues, 1 - known / specific if specific else 0.0)

    def logits(self, evidence: Evidence) -> tuple[list[float], list[float], list[float]]:
        """Per outcome (OUTCOMES order) its logit; per runbook its weighted evidence; per class the best of it."""
        weights = self.weights
        strength = [
            sum(weights.evidence[name] * value for name, value in zip(EVIDENCE, scores, strict=True))
            for scores in evidence.runbooks
        ]
        best = [0.0] * len(CLASSES)
        for document, value in zip(self.documents, strength, strict=True):
            position = CLASSES.index(document["failure_class"])
            best[position] = max(best[position], value)
        logits = [weights.bias[outcome] for outcome in OUTCOMES]
        logits[OUTCOMES.index(NONE)] += weights.unknown * evidence.unknown
        for name in evidence.cues:
            for outcome, weight in weights.cues.get(name, {}).items():
                logits[OUTCOMES.index(outcome)] += weight
        return [z + (best[i] if i < len(CLASSES) else 0.0) for i, z in enumerate(logits)], strength, best

    def triage(self, text: str, top: int = 3) -> Verdict:
        evidence = self.evidence(text)
        logits, strength, best = self.logits(evidence)
        peak = max(logits)
        total = sum(math.exp(z - peak) for z in logits)
        probability = [math.exp(z - peak) / total for z in logits]
        ranked = sorted(range(len(OUTCOMES)), key=lambda i: (-probability[i], i))
        answer = OUTCOMES[ranked[0]]
        matches = []
        for position, document in enumerate(self.documents):
            c = CLASSES.index(document["failure_class"])
            relevance = probability[c] * math.exp(strength[position] - best[c])
            if strength[position] <= 0 or relevance < self.weights.relevance_floor:
                continue
            failure_class = CLASSES[c]
            why = list(evidence.reasons[position])
            cues = [
                found
                for name, found in evidence.cues.items()
                if name in document["concepts"] or self.weights.cues.get(name, {}).get(failure_class, 0) > 0
            ]
            if cues:
                why.append("cues: " + ", ".join(f"'{found}'" for found in dict.fromkeys(cues)))
            matches.append(
                Match(
                    document["id"],
                    document["title"],
                    failure_class,
                    self.class_names[failure_class],
                    relevance,
                    why,
                    document.get("url"),
                    document.get("path"),
                )
            )
        matches.sort(key=lambda m: (-m.relevance, m.id))
        return Verdict(
            text,
            None if answer == NONE else answer,
            None if answer == NONE else self.class_names[answer],
            probability[ranked[0]],
            probability[ranked[0]] < self.weights.unsure_below,
            [(OUTCOMES[i], self.outcome_name(OUTCOMES[i]), probability[i]) for i in ranked],
            matches[:top],
        )

    def _idf(self, key: str, items: Iterable[str]) -> dict[str, float]:
        """The idf of each item found in the runbooks' `key` (terms, phrases or concepts)."""
        counts = {item: sum(item in document[key] for document in self.documents) for item in items}
        return {item: self.idf_by_frequency[n] for item, n in counts.items() if n}

    def outcome_name(self, outcome: str) -> str:
        return NONE_NAME if outcome == NONE else self.class_names[outcome]


class SignatureTest(NamedTuple):
    signature: str
    share: float
    """How many runbooks list the same signature."""
    test: re.Pattern[str] | str
    """The compiled regular expression, or the text to find in the normalised query."""


def _signature_evidence(tests: list[SignatureTest], text: str, query: str) -> tuple[float, list[str]]:
    """Signature evidence of one runbook (see `TriageIndex.signature_tests`); a signature listed by several
    runbooks is split between them."""
    hits: list[tuple[float, str]] = []
    for signature, share, test in tests:
        if isinstance(test, re.Pattern):
            found = test.search(text)
            if not found:
                continue
            strength = len(found.group(0))
        else:
            if len(test) < 4 or test not in query:
                continue
            strength = len(test)
        weight = SIGNATURE_BASE + min(strength / 10 * SIGNATURE_PER_10_CHARS, SIGNATURE_CAP)
        hits.append((weight / share, signature))
    hits.sort(key=lambda hit: -hit[0])
    return sum(weight for weight, _ in hits[:2]), [f"signature: {sig}" for _, sig in hits[:2]]


def normalise_signature(signature: str) -> str:
    """How a signature is compared: canonical, whitespace folded, lower case."""
    return normalise(canonical_text(signature))


def _cue_search(cue: Cue, text: str) -> re.Match[str] | None:
    return search(cue.pattern, text, case_sensitive=cue.case_sensitive)


def _bm25(
    frequencies: Mapping[str, float], length: float, average: float, idf: Mapping[str, float], query: Sequence[str]
) -> tuple[float, list[str]]:
    """BM25 of one runbook field bag; generic words count `GENERIC_WEIGHT` as much."""
    length_norm = 1 - B + B * length / average
    score, matched = 0.0, []
    for term in query:
        tf = frequencies.get(term)
        if tf:
            weight = GENERIC_WEIGHT if any(part in GENERIC for part in term.split(" ")) else 1.0
            score += weight * idf[term] * tf * (K1 + 1) / (tf + K1 * length_norm)
            matched.append(term)
    return score, matched


def evaluate(index: TriageIndex, cases: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """How triage does on `{text, expected, runbook?}` cases (expected: a class or `none`):

    - `top1`: the answer is the expected class, or no class for `none`; `top3`: the expected class is among
      the three most probable classes (for `none`, the same as top-1);
    - `classed_top1` over the cases with a class, `unrelated_no_class` over the `none` cases;
    - `runbook_top3`: the expected runbook is among the first three listed, over the cases that name one;
    - `confident` / `confident_right`: answers at or above the unsure threshold, and how many were right.
    """
    counts: Counter[str] = Counter()
    misses = []
    for case in cases:
        expected = str(case["expected"])
        verdict = index.triage(str(case["text"]), top=3)
        predicted = verdict.failure_class or NONE
        classes = [c for c, _, _ in verdict.classes if c != NONE][:3]
        hit1 = predicted == expected
        counts["cases"] += 1
        counts["top1"] += hit1
        counts["top3"] += hit1 if expected == NONE else expected in classes
        counts["unrelated" if expected == NONE else "classed"] += 1
        counts["unrelated_no_class" if expected == NONE else "classed_top1"] += hit1
        if case.get("runbook"):
            counts["with_runbook"] += 1
            counts["runbook_top3"] += case["runbook"] in [m.id for m in verdict.matches]
        if not verdict.unsure:
            counts["confident"] += 1
            counts["confident_right"] += hit1
        if not hit1 or (case.get("runbook") and case["runbook"] not in [m.id for m in verdict.matches]):
            misses.append(
                {
                    "text": case["text"],
                    "expected": expected,
                    "predicted": predicted,
                    "confidence": round(verdict.confidence, 3),
                    "unsure": verdict.unsure,
                    "top_classes": classes,
                    "runbook": case.get("runbook"),
                    "runbooks": [m.id for m in verdict.matches],
                }
            )

    def share(part: str, whole: str) -> float | None:
        return counts[part] / counts[whole] if counts[whole] else None

    return {
        "cases": counts["cases"],
        "top1": share("top1", "cases"),
        "top3": share("top3", "cases"),
        "classed_top1": share("classed_top1", "classed"),
        "unrelated_no_class": share("unrelated_no_class", "unrelated"),
        "runbook_top3": share("runbook_top3", "with_runbook"),
        "confident": counts["confident"],
        "confident_right": share("confident_right", "confident"),
        "misses": misses,
    }


def ranking_index(index: KnowledgeIndex, *, public: bool = False) -> TriageIndex:
    """The ranking index of the knowledge base's valid runbooks (the public ones with `public`), kept in the
    knowledge index until a runbook, the class catalog or the learned weights change (a change to opsbook's own
    code rebuilds the whole knowledge index, see `opsbook.index.store.code_fingerprint`).

    The key is the content of every runbook, catalog and configuration file (which runbooks are valid and public,
    and the classes' names, follow from them alone), read from the files table: a triage with nothing changed
    never reads the records' rows."""
    files = index.file_tables.execute(
        "SELECT path, coalesce(digest, x'') FROM files WHERE role IN ('runbook', 'catalog', 'config') ORDER BY path"
    )
    inputs = hashlib.blake2b(b"".join(path.encode() + b"\0" + digest + b"\0" for path, digest in files), digest_size=16)
    inputs.update(WEIGHTS_FILE.read_bytes())

    def compute() -> str:
        paths = index.record_paths("runbook", where="visibility = 'public'" if public else "")
        runbooks = []
        for path, record in index.documents(paths).items():
            runbooks.append(
                {
                    "id": record["id"],
                    "title": record["title"],
                    "failure_class": record["failure_class"],
                    "status": record["status"],
                    "url": page_url(runbook_page(record["failure_class"], record["id"])),
                    "path": path,
                    "summary": record["summary"],
                    "symptoms": record["symptoms"],
                    "signatures": record["signatures"],
                    "keywords": record["keywords"],
                    "providers": record["applicability"]["providers"],
                }
            )
        return json.dumps(TriageIndex.build(runbooks, class_titles(index)).export(), ensure_ascii=False)

    name = "triage-public" if public else "triage"
    return TriageIndex.from_export(json.loads(index.derived(name, inputs.hexdigest(), compute)))
