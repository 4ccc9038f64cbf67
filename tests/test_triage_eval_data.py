"""The issue-21 evaluation set: real texts, each on the dev or test side by a rule fixed before any result; the
extra development texts, all on the dev side; and the fresh held-out texts, all on the test side."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from opsbook.features.triage_eval import EvalSet
from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "data" / "triage-eval.yaml"


def test_every_case_sits_on_the_side_its_source_hash_gives() -> None:
    for case in yaml.safe_load(EVAL.read_text(encoding="utf-8")):
        even = int(hashlib.sha256(case["source"].encode()).hexdigest(), 16) % 2 == 0
        assert case["split"] == ("dev" if even else "test"), case["source"]


def test_each_text_appears_once() -> None:
    texts = [case["text"] for case in yaml.safe_load(EVAL.read_text(encoding="utf-8"))]
    assert len(texts) == len(set(texts)) == 373


EXTRA = ROOT / "tests" / "data" / "triage-dev-extra.yaml"
SECOND_DEV = ROOT / "tests" / "data" / "triage-dev-2.yaml"


@pytest.mark.parametrize("path", [EXTRA, SECOND_DEV], ids=lambda path: path.name)
def test_the_further_development_texts_are_dev_only_new_and_valid(path: Path) -> None:
    cases = EvalSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).root
    assert cases and all(case.split == "dev" and (case.source or "").startswith("https://") for case in cases)
    assert len({case.source for case in cases}) == len({case.text for case in cases}) == len(cases)
    others = [
        case
        for other in (ROOT / "tests" / "data").glob("triage-*.yaml")
        if other != path
        for case in yaml.safe_load(other.read_text(encoding="utf-8"))
    ]
    assert not {case.source for case in cases} & {case.get("source") for case in others}
    assert not {case.text for case in cases} & {case["text"] for case in others}


FRESH = ROOT / "tests" / "data" / "triage-fresh.yaml"
EARLIER_SETS = [
    ROOT / "tests" / "data" / name
    for name in (
        "triage-eval.yaml",
        "triage-dev-extra.yaml",
        "triage-dev-2.yaml",
        "triage-holdout.yaml",
        "triage-holdout-2.yaml",
    )
]


def test_the_fresh_texts_are_held_out_real_and_new() -> None:
    fresh = EvalSet.model_validate(yaml.safe_load(FRESH.read_text(encoding="utf-8"))).root
    assert len(fresh) == 173
    assert all(case.split == "test" and (case.source or "").startswith("https://") for case in fresh)
    earlier = [case for path in EARLIER_SETS for case in yaml.safe_load(path.read_text(encoding="utf-8"))]
    assert not {case.source for case in fresh} & {case.get("source") for case in earlier}
    assert not {case.text for case in fresh} & {case["text"] for case in earlier}


def test_training_never_reads_the_fresh_texts() -> None:
    trained_on = {case["text"] for case in load_script("train_triage").development_cases()}
    assert len(trained_on) > 200
    assert not trained_on & {case["text"] for case in yaml.safe_load(FRESH.read_text(encoding="utf-8"))}
