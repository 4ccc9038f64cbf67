"""The issue-21 evaluation set: real texts, each on the dev or test side by a rule fixed before any result."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "data" / "triage-eval.yaml"


def test_every_case_sits_on_the_side_its_source_hash_gives() -> None:
    for case in yaml.safe_load(EVAL.read_text(encoding="utf-8")):
        even = int(hashlib.sha256(case["source"].encode()).hexdigest(), 16) % 2 == 0
        assert case["split"] == ("dev" if even else "test"), case["source"]


def test_each_text_appears_once() -> None:
    texts = [case["text"] for case in yaml.safe_load(EVAL.read_text(encoding="utf-8"))]
    assert len(texts) == len(set(texts)) == 373
