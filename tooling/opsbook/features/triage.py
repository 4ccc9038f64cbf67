"""Symptom triage: pasted error text → the failure class and the runbooks to open, with reasons.

Scoring, in order of strength (documented on the site's triage page):

1. Signatures. A runbook's literal signature found in the text (case-insensitive, whitespace-folded),
   or its `/regex/` matching, is strong evidence; longer signatures count more.
2. Text match. BM25 over each runbook's title, signatures, symptoms, keywords, summary and providers,
   with a tokeniser made for error strings: `snake_case`, `camelCase` and `ENV_VAR` names are kept whole
   and split into parts, HTTP codes stay tokens, plural and -ing/-ed endings are folded.
3. Class cues. Patterns that point at a class whatever the runbook (401 and missing env vars →
   auth-drift, 429 and failover → fallback, …), and "none" cues for look-alikes that are not one of the
   five classes (theme contrast, hallucinations, dependency conflicts, markdown rendering).

A class is returned only with real evidence (a signature, a class cue, or two informative terms matched
well); otherwise `failure_class` is null. The same index is published in the site's JSON export and
`assets/opsbook/opsbook.js` implements the identical scoring in the browser; a test holds them equal.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opsbook.features.urls import page_url, runbook_page

if TYPE_CHECKING:
    from opsbook.index.knowledge import KnowledgeIndex

FIELD_WEIGHTS = {"title": 3, "signatures": 3, "symptoms": 2, "keywords": 2, "summary": 1, "providers": 1}
K1, B = 1.2, 0.75
SIGNATURE_BASE, SIGNATURE_PER_10_CHARS, SIGNATURE_CAP = 6.0, 1.0, 6.0
CUE_SHARE = 0.75
MIN_TERM_SCORE = 2.5

STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does doesn don for from had has have how i if in
    into is it its just me my no not of on once only or our so some than that the their them then there these
    they this to too up was we were what when where which while who why will with would you your yet after
    again all also am any because before being both each few get got here more most much other out over own
    same should such very can't isn't it's i'm we're there's still even""".split()
)


@dataclass(frozen=True, slots=True)
class Cue:
    """A pattern that points at a class (or at `none`) whatever the runbook. Must also be valid JavaScript."""

    pattern: str
    weight: float
    target: str
    case_sensitive: bool = False

    def search(self, text: str) -> re.Match[str] | None:
        return re.search(self.pattern, text, 0 if self.case_sensitive else re.IGNORECASE)


ENV_NAME = r"\b[A-Z][A-Z0-9]+_[A-Z0-9_]+\b"
CUES: list[Cue] = [
    Cue(r"\b401\b|unauthori[sz]ed|authentication[_ ]error|invalid[_ ]api[_ ]key|incorrect api key", 3, "auth-drift"),
    Cue(r"api[_ ]?key|secret|credential|token (?:has )?expired|expired token|oauth", 1.5, "auth-drift"),
    Cue(
        ENV_NAME + r"[^.]{0,60}\b(?:missing|undefined|not set|not seen|empty|not found|not defined)"
        r"|\b(?:missing|undefined|not set)\b[^.]{0,40}" + ENV_NAME,
        3,
        "auth-drift",
        case_sensitive=True,
    ),
    Cue(r"env(?:ironment)? var(?:iable)?s?|\.env\b|process\.env|import\.meta\.env|os\.environ", 1.5, "auth-drift"),
    Cue(r"works? (?:fine )?local(?:ly)?|in production|on (?:vercel|netlify)|preview (?:deploy|env)", 1, "auth-drift"),
    Cue(r"service[_ -]?role|server[- ]only|client bundle|NEXT_PUBLIC_|VITE_|EXPO_PUBLIC_", 2, "auth-drift"),
    Cue(
        r"wrong (?:project|account|team|scope)|linked to (?:another|the wrong)|\b(?:team|project|account)[- ]scoped",
        2,
        "auth-drift",
    ),
    Cue(
        r"secrets? (?:are |is )?(?:not available|empty|missing|undefined|not set|not passed)|dependabot"
        r"|from (?:an? )?(?:external )?fork|input required and not supplied",
        3,
        "auth-drift",
    ),
    Cue(r"\b429\b|rate[_ -]?limit|too many requests|overloaded|\b529\b|quota", 3, "fallback"),
    Cue(r"fallback|fall back|failover|fail over|secondary model|backup model|primary model", 3, "fallback"),
    Cue(r"retr(?:y|ies|ied)|backoff|circuit breaker|load balanc", 1.5, "fallback"),
    Cue(
        r"routed? to|wrong provider|model[_ ]not[_ ]found|provider not provided|litellm|openrouter|bedrock",
        1.5,
        "fallback",
    ),
    Cue(
        r"context[_ ](?:length|window)|prompt is too long|maximum context|too many tokens|tokens? > ?\d",
        2,
        "session-lifecycle",
    ),
    Cue(
        r"compact(?:ion|ed)?|summari[sz](?:ed|ation)|forgets?|forgot|lost (?:context|instructions)",
        2.5,
        "session-lifecycle",
    ),
    Cue(r"session|resume|--continue|thread|checkpoint(?:er)?|conversation history|transcript", 2, "session-lifecycle"),
    Cue(r"expired|idle|respawn|already running|previous[_ ]response", 1, "session-lifecycle"),
    Cue(r"stale|old version|cached?|cache hit|hard refresh|incognito|still (?:there|shows?|see)", 2, "stale-deploy"),
    Cue(r"EADDRINUSE|address already in use|port \d{4}|localhost:\d{4}|dev server", 3, "stale-deploy"),
    Cue(r"chunk ?load|loading chunk|dynamically imported module|service ?worker|\bcdn\b|purge", 3, "stale-deploy"),
    Cue(r"redeploy|rebuil[dt]|(?:new|old|last) deploy(?:ment)?|after deploy", 1.5, "stale-deploy"),
    Cue(r"permission|not allowed|denied|forbidden|\b403\b|approval|approve", 2.5, "tool-policy"),
    Cue(r"\bpolicy\b|sandbox|scope|not_in_channel|missing_scope|allow[- ]?list|disabled by", 2.5, "tool-policy"),
    Cue(r"\bmcp\b|\btools?\b|slack|teams|channel|extension|plugin|connector", 1.5, "tool-policy"),
    Cue(r"dark mode|light theme|\btheme\b|contrast|unreadable text", 4, "none"),
    Cue(r"\blag(?:s|gy)?\b|stutter|unresponsive|freez|memory leak|high cpu|slow(?:ly|er|ness)?\b", 3, "none"),
    Cue(r"hallucinat|wrong information|made up|incorrect answer|answer quality", 4, "none"),
    Cue(
        r"requires [\w.-]+[<>=!~]|is incompatible|dependency conflict|resolution(?:impossible| failed)|peer dep",
        4,
        "none",
    ),
    Cue(r"markdown|render(?:s|ing)? (?:code|block|table)|code blocks?|syntax highlight", 3, "none"),
]

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
MIN_SPECIFIC_TERMS = 3


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


def normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip().lower()


@dataclass(frozen=True, slots=True)
class Match:
    id: str
    title: str
    failure_class: str
    score: float
    why: list[str]
    url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "failure_class": self.failure_class,
            "score": round(self.score, 3),
            "why": self.why,
            **({"url": self.url} if self.url else {}),
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    query: str
    failure_class: str | None
    confidence: float
    matches: list[Match]

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "failure_class": self.failure_class,
            "confidence": round(self.confidence, 3),
            "matches": [m.as_dict() for m in self.matches],
        }


@dataclass
class TriageIndex:
    """Runbooks reduced to what ranking needs; `export()` is what the site publishes for the browser."""

    documents: list[dict[str, Any]]
    idf: dict[str, float] = field(default_factory=dict)
    average_length: float = 1.0
    signature_share: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, runbooks: Iterable[Mapping[str, Any]]) -> TriageIndex:
        documents = []
        document_frequency: Counter[str] = Counter()
        for runbook in runbooks:
            if runbook.get("status", "active") == "deprecated":
                continue
            bag: Counter[str] = Counter()
            for field_name, weight in FIELD_WEIGHTS.items():
                value = runbook.get(field_name) or []
                for text in [value] if isinstance(value, str) else value:
                    for token in tokenize(text):
                        bag[token] += weight
            document_frequency.update(bag.keys())
            documents.append(
                {
                    "id": runbook["id"],
                    "title": runbook["title"],
                    "failure_class": runbook["failure_class"],
                    "url": runbook.get("url"),
                    "signatures": list(runbook.get("signatures", [])),
                    "tf": dict(sorted(bag.items())),
                    "length": sum(bag.values()),
                }
            )
        count = len(documents)
        return cls(
            documents,
            idf={t: math.log(1 + (count - n + 0.5) / (n + 0.5)) for t, n in sorted(document_frequency.items())},
            average_length=(sum(d["length"] for d in documents) / count) if count else 1.0,
            signature_share=dict(
                sorted(Counter(normalise(s) for d in documents for s in set(d["signatures"])).items())
            ),
        )

    def export(self) -> dict[str, Any]:
        """Everything the browser needs to rank exactly like this module (see assets/opsbook.js)."""
        return {
            "k1": K1,
            "b": B,
            "signature": {"base": SIGNATURE_BASE, "per_10_chars": SIGNATURE_PER_10_CHARS, "cap": SIGNATURE_CAP},
            "cue_share": CUE_SHARE,
            "min_term_score": MIN_TERM_SCORE,
            "min_specific_terms": MIN_SPECIFIC_TERMS,
            "generic_weight": GENERIC_WEIGHT,
            "generic": sorted(GENERIC),
            "stopwords": sorted(STOPWORDS),
            "cues": [
                {"pattern": c.pattern, "weight": c.weight, "class": c.target, "case_sensitive": c.case_sensitive}
                for c in CUES
            ],
            "idf": self.idf,
            "average_length": self.average_length,
            "signature_share": self.signature_share,
            "documents": self.documents,
        }

    @classmethod
    def from_export(cls, data: Mapping[str, Any]) -> TriageIndex:
        return cls(
            list(data["documents"]), dict(data["idf"]), float(data["average_length"]), dict(data["signature_share"])
        )

    def _bm25(self, document: Mapping[str, Any], query_terms: Sequence[str]) -> tuple[float, list[str]]:
        frequencies = document["tf"]
        length_norm = 1 - B + B * document["length"] / self.average_length
        score, matched = 0.0, []
        for term in query_terms:
            tf = frequencies.get(term)
            if tf:
                weight = GENERIC_WEIGHT if term in GENERIC else 1.0
                score += weight * self.idf[term] * tf * (K1 + 1) / (tf + K1 * length_norm)
                matched.append(term)
        return score, matched

    def triage(self, text: str, top: int = 3) -> Verdict:
        query = normalise(text)
        query_terms = list(dict.fromkeys(tokenize(text)))
        cue_scores: dict[str, float] = defaultdict(float)
        cue_reasons: dict[str, list[str]] = {}
        for cue in CUES:
            found = cue.search(text)
            if found:
                cue_scores[cue.target] += cue.weight
                cue_reasons.setdefault(cue.target, []).append(found.group(0).strip())
        scored: list[tuple[float, float, float, int, Match]] = []
        for document in self.documents:
            signature_score, why = self._signatures(document, text, query, self.signature_share)
            term_score, terms = self._bm25(document, query_terms)
            failure_class = document["failure_class"]
            cue_bonus = min(cue_scores[failure_class], 8.0) * CUE_SHARE
            total = signature_score + term_score + cue_bonus
            if terms:
                why.append("terms: " + ", ".join(terms[:8]))
            if cue_bonus:
                why.append(f"{failure_class} cues: " + ", ".join(f"'{r}'" for r in cue_reasons[failure_class][:3]))
            if total > 0:
                match = Match(document["id"], document["title"], failure_class, total, why, document.get("url"))
                specific = sum(term not in GENERIC for term in terms)
                scored.append((total, signature_score, term_score, specific, match))
        scored.sort(key=lambda item: (-item[0], item[4].id))
        matches = [item[4] for item in scored[:top]]
        failure_class, confidence = self._decide(scored, cue_scores)
        return Verdict(text, failure_class, confidence, matches if failure_class or scored else [])

    @staticmethod
    def _signatures(
        document: Mapping[str, Any], text: str, query: str, share: Mapping[str, int]
    ) -> tuple[float, list[str]]:
        """Signature evidence; a signature listed by several runbooks is split between them."""
        hits: list[tuple[float, str]] = []
        for signature in document.get("signatures", []):
            if len(signature) > 2 and signature.startswith("/") and signature.endswith("/"):
                try:
                    found = re.search(signature[1:-1], text, re.IGNORECASE)
                except re.error:
                    continue
                if not found:
                    continue
                strength = len(found.group(0))
            else:
                needle = normalise(signature)
                if len(needle) < 4 or needle not in query:
                    continue
                strength = len(needle)
            weight = SIGNATURE_BASE + min(strength / 10 * SIGNATURE_PER_10_CHARS, SIGNATURE_CAP)
            hits.append((weight / share.get(normalise(signature), 1), signature))
        hits.sort(key=lambda hit: -hit[0])
        return sum(weight for weight, _ in hits[:2]), [f"signature: {sig}" for _, sig in hits[:2]]

    @staticmethod
    def _decide(
        scored: list[tuple[float, float, float, int, Match]], cues: Mapping[str, float]
    ) -> tuple[str | None, float]:
        best_by_class: dict[str, tuple[float, float, float, int]] = {}
        for total, signature, terms, specific, match in scored:
            if match.failure_class not in best_by_class:
                best_by_class[match.failure_class] = (total, signature, terms, specific)
        if not best_by_class:
            return None, 0.0
        ranked = sorted(best_by_class.items(), key=lambda item: -item[1][0])
        top_class, (top, signature, terms, specific) = ranked[0]
        second = ranked[1][1][0] if len(ranked) > 1 else 0.0
        text_evidence = terms >= MIN_TERM_SCORE * 2 and specific >= MIN_SPECIFIC_TERMS
        evidence = signature > 0 or cues.get(top_class, 0) >= 2 or text_evidence
        against = cues.get("none", 0)
        if not evidence or (against >= max(cues.get(top_class, 0), 1) and signature == 0):
            return None, 0.0
        strength = 1 - math.exp(-top / 8)
        margin = (top - second) / top if top else 0.0
        return top_class, max(0.0, min(1.0, strength * (0.5 + 0.5 * margin)))


def evaluate(index: TriageIndex, cases: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Top-1 and top-3 class accuracy over `{text, expected}` cases (expected: a class or `none`)."""
    top1 = top3 = 0
    misses = []
    for case in cases:
        expected = str(case["expected"])
        verdict = index.triage(str(case["text"]), top=10)
        predicted = verdict.failure_class or "none"
        classes = list(dict.fromkeys(m.failure_class for m in verdict.matches))[:3]
        hit1 = predicted == expected
        hit3 = hit1 if expected == "none" else expected in classes
        top1 += hit1
        top3 += hit3
        if not hit1:
            misses.append(
                {
                    "text": case["text"],
                    "expected": expected,
                    "predicted": predicted,
                    "top_classes": classes,
                    "confidence": round(verdict.confidence, 3),
                }
            )
    total = len(cases) or 1
    return {"cases": len(cases), "top1": top1 / total, "top3": top3 / total, "misses": misses}


def ranking_index(index: KnowledgeIndex, *, public: bool = False) -> TriageIndex:
    """The ranking index of the knowledge base's valid runbooks (the public ones with `public`), kept in the
    knowledge index until a runbook changes."""
    import hashlib
    import json

    rows = list(
        index.connection.execute(
            f"""SELECT f.path, f.document FROM files f JOIN records r ON r.path = f.path
                WHERE r.kind = 'runbook' AND r.valid {"AND r.visibility = 'public'" if public else ""}
                ORDER BY f.path"""
        )
    )
    inputs = hashlib.blake2b(b"".join(path.encode() + b"\0" + digest for path, digest in rows), digest_size=16)

    def compute() -> str:
        runbooks = []
        for record in index.documents(path for path, _ in rows).values():
            runbooks.append(
                {
                    "id": record["id"],
                    "title": record["title"],
                    "failure_class": record["failure_class"],
                    "status": record["status"],
                    "url": page_url(runbook_page(record["failure_class"], record["id"])),
                    "summary": record["summary"],
                    "symptoms": record["symptoms"],
                    "signatures": record["signatures"],
                    "keywords": record["keywords"],
                    "providers": record["applicability"]["providers"],
                }
            )
        return json.dumps(TriageIndex.build(runbooks).export(), ensure_ascii=False)

    name = "triage-public" if public else "triage"
    return TriageIndex.from_export(json.loads(index.derived(name, inputs.hexdigest(), compute)))
