"""Bad input never crashes, hangs or hides a problem.

Every file of the corpus in tests/data/bad (plus a few the tests write: 5 MB, a 900 kB line, symbolic
links, an unreadable file, a FIFO) sits in a knowledge base next to one valid runbook per class and a
valid incident. `opsbook check --format json` must finish in time with exit 1 (0 for the two inputs the
manifest accepts), report exactly the errors tests/data/bad/expected.yaml lists for each file at the
listed lines, leave the good records without a single diagnostic, and never print a traceback; the site
must still render the good runbooks.

Each case is first checked alone (so a crash points at the file that caused it), then the whole corpus
at once, in-process and as a real subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from click.testing import Result

from opsbook.site.tree import DocsTree
from tests.kbfactory import CLASSES, dump, incident, make_kb, runbook, write

CORPUS = Path(__file__).resolve().parent / "data" / "bad"
MANIFEST: dict[str, dict[str, dict[str, Any]]] = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
EXPECTED: dict[str, set[tuple[str, int]]] = {
    path: {(code, line) for code, line in entry["errors"]}
    for section in ("files", "generated")
    for path, entry in MANIFEST[section].items()
}
CASES = sorted(EXPECTED)
GOOD_RECORDS = [f"runbooks/{name}/rb-{name}.yaml" for name in CLASSES] + [f"incidents/2026/{incident()['id']}.yaml"]
SUBPROCESS_TIMEOUT = 120


# --- files the tests write instead of committing -----------------------------------------------------


def _five_megabytes(root: Path, path: Path) -> None:
    text = dump(runbook(path.stem, "fallback", related=["rb-fallback"]))
    padding = "# padding " + "x" * 89 + "\n"
    write(path, text + padding * (5 * 1024 * 1024 // len(padding) + 1))


def _long_line(root: Path, path: Path) -> None:
    text = dump(runbook(path.stem, "fallback", related=["rb-fallback"], summary="LONG", visibility="secret"))
    write(path, text.replace("summary: LONG\n", "summary: " + " ".join(["word"] * 180_000) + "\n"))


def _link_outside(root: Path, path: Path) -> None:
    target = write(root.parent / "outside-the-kb" / path.name, runbook(path.stem, "fallback"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def _broken_link(root: Path, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to("no-such-target.txt")


def _symlink_loop(root: Path, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(path.name)


GENERATORS: dict[str, Callable[[Path, Path], None]] = {
    "five-megabytes": _five_megabytes,
    "long-line": _long_line,
    "link-outside": _link_outside,
    "broken-link": _broken_link,
    "symlink-loop": _symlink_loop,
}


def place(root: Path, case: str) -> Path:
    """Put one corpus case into the knowledge base at `root`, at its manifest path."""
    path = root / case
    if case in MANIFEST["files"]:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / case, path)
    else:
        GENERATORS[PurePosixPath(case).stem](root, path)
    return path


def knowledge_base_with(root: Path, cases: list[str]) -> Path:
    make_kb(root)
    for case in cases:
        place(root, case)
    return root


# --- running the check and reading its report --------------------------------------------------------


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    output: str  # everything the user sees: stdout and stderr

    @classmethod
    def of(cls, result: Result) -> Run:
        return cls(result.exit_code, result.stdout, result.output)

    def diagnostics(self) -> list[dict[str, Any]]:
        assert self.exit_code in (0, 1), f"opsbook check did not finish normally:\n{self.output[-3000:]}"
        return json.loads(self.stdout)["diagnostics"]

    def errors_of(self, path: str) -> set[tuple[str, int]]:
        found = self.diagnostics()
        return {(d["code"], d["line"]) for d in found if d["path"] == path and d["level"] == "error"}

    def about(self, paths: list[str]) -> list[str]:
        found = self.diagnostics()
        return [f"{d['path']}:{d['line']}: {d['code']} {d['message']}" for d in found if d["path"] in paths]


def check_json(cli: Callable[..., Result], root: Path, *extra: str) -> Run:
    return Run.of(cli("check", "--format", "json", *extra, cwd=root))


def check_subprocess(root: Path, timeout: float) -> Run:
    completed = subprocess.run(
        [sys.executable, "-m", "opsbook", "check", "--format", "json", "--no-index"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(completed.returncode, completed.stdout, completed.stdout + completed.stderr)


def assert_no_traceback(run: Run) -> None:
    assert "Traceback" not in run.output, run.output[-3000:]


# --- the manifest itself -----------------------------------------------------------------------------


def test_manifest_covers_every_corpus_file_and_nothing_else() -> None:
    on_disk = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file()} - {"expected.yaml"}
    assert on_disk == set(MANIFEST["files"])


def test_every_generated_case_has_a_generator() -> None:
    assert {PurePosixPath(case).stem for case in MANIFEST["generated"]} == set(GENERATORS)


# --- each case alone ---------------------------------------------------------------------------------


@pytest.fixture(params=CASES)
def case(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def alone(case: str, tmp_path: Path, cli: Callable[..., Result]) -> Run:
    """`opsbook check` of a clean knowledge base plus this one bad file."""
    return check_json(cli, knowledge_base_with(tmp_path / "kb", [case]))


def test_check_finishes_with_exit_1_and_no_traceback(case: str, alone: Run) -> None:
    assert_no_traceback(alone)
    assert alone.exit_code == (1 if EXPECTED[case] else 0), alone.output[-3000:]


def test_file_gets_exactly_its_expected_errors(case: str, alone: Run) -> None:
    assert sorted(alone.errors_of(case)) == sorted(EXPECTED[case])


def test_good_records_beside_the_bad_file_get_no_diagnostics(case: str, alone: Run) -> None:
    assert alone.about(GOOD_RECORDS) == []


def test_object_constructing_tag_runs_no_command(tmp_path: Path, cli: Callable[..., Result]) -> None:
    root = knowledge_base_with(tmp_path / "kb", ["runbooks/fallback/python-object-tag.yaml"])
    check_json(cli, root)
    assert not (root / "opsbook-was-pwned").exists()


def test_incident_field_message_says_an_incident(tmp_path: Path, cli: Callable[..., Result]) -> None:
    case = "incidents/2026/2026-11-18-unknown-keys.yaml"
    run = check_json(cli, knowledge_base_with(tmp_path / "kb", [case]))
    [message] = [d["message"] for d in run.diagnostics() if d["path"] == case and d["line"] == 44]
    assert message == "'pager' is not a field of an incident"


def test_unreadable_file_is_reported_not_raised(tmp_path: Path, cli: Callable[..., Result]) -> None:
    root = make_kb(tmp_path / "kb")
    record = runbook("unreadable", "fallback", related=["rb-fallback"])
    path = write(root / "runbooks/fallback/unreadable.yaml", record)
    path.chmod(0)
    run = check_json(cli, root)
    assert_no_traceback(run)
    assert run.exit_code in (0, 1), run.output[-3000:]
    if not os.access(path, os.R_OK):  # root reads it anyway; then the valid runbook inside is simply checked
        assert run.errors_of("runbooks/fallback/unreadable.yaml") == {("unreadable", 1)}


def test_fifo_named_like_a_record_does_not_hang_the_check(tmp_path: Path) -> None:
    root = make_kb(tmp_path / "kb")
    os.mkfifo(root / "runbooks/fallback/fifo.yaml")
    try:
        run = check_subprocess(root, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("opsbook check waited forever on a FIFO named runbooks/fallback/fifo.yaml")
    assert run.errors_of("runbooks/fallback/fifo.yaml") == {("unreadable", 1)}


def test_largest_accepted_record_is_checked_in_seconds(tmp_path: Path) -> None:
    """49 diagnosis steps with a 20,000-character command each: just under the 1 MiB file limit."""
    root = make_kb(tmp_path / "kb")
    command = " ".join(["aws"] * 4999)
    steps = [{"action": f"Step {number}", "command": command} for number in range(49)]
    path = write(
        root / "runbooks/fallback/long-commands.yaml",
        runbook("long-commands", "fallback", related=["rb-fallback"], diagnosis=steps),
    )
    assert path.stat().st_size < 1 << 20
    try:
        run = check_subprocess(root, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("checking one 1 MB runbook took more than 30 s")
    assert run.errors_of("runbooks/fallback/long-commands.yaml") == set()


# --- the whole corpus at once ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = knowledge_base_with(tmp_path_factory.mktemp("corpus") / "kb", CASES)
    unreadable = write(root / "runbooks/fallback/unreadable.yaml", "id: unreadable\n")
    unreadable.chmod(0)
    return root


@pytest.fixture(scope="module")
def corpus_subprocess(corpus_kb: Path) -> Run | subprocess.TimeoutExpired:
    try:
        return check_subprocess(corpus_kb, timeout=SUBPROCESS_TIMEOUT)
    except subprocess.TimeoutExpired as timeout:
        return timeout


@pytest.fixture(scope="module")
def corpus_run(corpus_subprocess: Run | subprocess.TimeoutExpired) -> Run:
    if isinstance(corpus_subprocess, subprocess.TimeoutExpired):
        pytest.fail(f"opsbook check of the whole corpus did not finish within {SUBPROCESS_TIMEOUT} s")
    return corpus_subprocess


def test_whole_corpus_check_exits_1_without_traceback(corpus_run: Run) -> None:
    assert_no_traceback(corpus_run)
    assert corpus_run.exit_code == 1, corpus_run.output[-3000:]


def test_whole_corpus_reports_every_expected_error_for_its_file(corpus_run: Run) -> None:
    missing = {case: sorted(EXPECTED[case] - corpus_run.errors_of(case)) for case in CASES}
    assert {case: pairs for case, pairs in missing.items() if pairs} == {}


def test_whole_corpus_leaves_the_good_records_clean(corpus_run: Run) -> None:
    assert corpus_run.about(GOOD_RECORDS) == []


def test_in_process_check_of_whole_corpus_matches_the_subprocess(
    corpus_kb: Path, corpus_run: Run, cli: Callable[..., Result]
) -> None:
    in_process = check_json(cli, corpus_kb, "--no-index")
    assert_no_traceback(in_process)
    assert in_process.diagnostics() == corpus_run.diagnostics()


def test_warm_cache_reports_the_same_as_a_cold_run(corpus_kb: Path, cli: Callable[..., Result]) -> None:
    shutil.rmtree(corpus_kb / ".opsbook-cache", ignore_errors=True)
    cold = check_json(cli, corpus_kb)
    warm = check_json(cli, corpus_kb)
    assert (warm.exit_code, warm.diagnostics()) == (cold.exit_code, cold.diagnostics())


def test_good_runbooks_render_beside_bad_files(corpus_kb: Path) -> None:
    with DocsTree.open(corpus_kb) as tree:
        pages = dict(tree.entries())
    assert {f"runbooks/{name}/rb-{name}.md" for name in CLASSES} <= set(pages)


def test_no_rendered_file_lands_outside_the_site(corpus_kb: Path) -> None:
    with DocsTree.open(corpus_kb) as tree:
        names = [name for name, _ in tree.entries()]
    for name in names:
        path = PurePosixPath(name)
        assert not path.is_absolute() and ".." not in path.parts, name


PYDANTIC_WORDING = ("Input should", "input should", "String should", "List should", "Value error", "instance of")


def test_whole_corpus_messages_are_in_the_authors_words(corpus_run: Run) -> None:
    """Field, expected, found, hint: never pydantic's phrasing of a validation error."""
    messages = [d["message"] for d in corpus_run.diagnostics()]
    assert [m for m in messages if any(phrase in m for phrase in PYDANTIC_WORDING)] == []
