"""Every problem in one pass: a schema error hides nothing else that can be checked, and a consequence is
located at a file and line, printed after its cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.checks.report import run_check
from tests.kbfactory import dump, incident, make_kb, runbook, write


@pytest.fixture
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean knowledge base, as the working directory (findings name files relative to it)."""
    monkeypatch.chdir(make_kb(tmp_path / "kb"))
    return tmp_path / "kb"


def found(kb: Path) -> list[tuple[str, int, str]]:
    """(path, line, code) of every finding, in the order they are printed."""
    return [(d.path, d.line, d.code) for d in run_check(kb, use_index=False).diagnostics]


def line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_misspelt_key_does_not_hide_what_it_holds(kb: Path) -> None:
    text = dump(runbook("rb-fallback", "fallback", related=["rb-auth-drift"]))
    text = text.replace("mitigation:", "mitigaton:").replace("executor: human", "executor: robot")
    path = write(kb / "runbooks/fallback/rb-fallback.yaml", text)
    diagnostics = [d for d in run_check(kb, use_index=False).diagnostics if d.path.endswith("rb-fallback.yaml")]
    robot = [d for d in diagnostics if d.code == "bad-value"]
    assert [d.line for d in robot] == [line_of(path, "executor: robot")]
    assert robot[0].message.startswith("mitigaton[1].executor: expected one of 'human', 'agent', 'either'")
    assert "missing-key" not in {d.code for d in diagnostics}


def test_typos_inside_a_misspelt_key_are_found_too(kb: Path) -> None:
    text = dump(runbook("rb-fallback", "fallback", related=["rb-auth-drift"]))
    text = text.replace("mitigation:", "mitigaton:").replace("  rollback:", "  rolback:")
    path = write(kb / "runbooks/fallback/rb-fallback.yaml", text)
    unknown = [(d.line, d.message) for d in run_check(kb, use_index=False).diagnostics if d.code == "unknown-key"]
    assert unknown == [
        (line_of(path, "mitigaton:"), "'mitigaton' is not a field of a runbook (did you mean 'mitigation'?)"),
        (line_of(path, "rolback:"), "'rolback' is not a field of mitigaton[1] (did you mean 'rollback'?)"),
    ]


def test_an_invalid_record_still_gets_every_check_its_valid_fields_allow(kb: Path) -> None:
    """A bad severity in an incident that also has a dangling reference, a placeholder, an open item
    without an owner and the wrong file name: all of it is reported in the first run."""
    record = incident("2026-11-18-webhook", severity="SEV0", summary="<fill in: what happened>")
    record["runbooks_used"] = [{"runbook": "rb-auth-drfit", "helped": "yes"}]
    del record["action_items"][0]["owner"]
    path = write(kb / "incidents/2026/2026-11-18-webhooks.yaml", record)
    codes = {code for where, _, code in found(kb) if where.endswith("2026-11-18-webhooks.yaml")}
    assert codes == {"bad-value", "dangling-ref", "placeholder", "action-item-owner", "id-mismatch"}
    assert path.is_file()


def test_fixing_the_schema_error_reveals_nothing_new(kb: Path) -> None:
    """What the issue saw: fixing one error turned a few warnings into many. Now the rest of the report
    is the same before and after the fix."""
    assert not (kb / "runbooks/fallback/new-path.yaml").exists()
    record = runbook("new-path", "fallback", related=["rb-fallback"], owner="<fill in: owning team>")
    record["mitigation"][0]["command"] = "vercel promote https://preview.example.org"
    path = write(kb / "runbooks/fallback/new-path.yaml", dump(record).replace("status: active", "status: actve"))
    before = [(line, code) for where, line, code in found(kb) if where.endswith("new-path.yaml")]
    write(path, dump(record))
    after = [(line, code) for where, line, code in found(kb) if where.endswith("new-path.yaml")]
    assert [pair for pair in before if pair[1] != "bad-value"] == after
    assert {code for _, code in after} == {"placeholder", "sensitive-unflagged"}


def test_an_uncovered_class_points_at_the_invalid_runbook_after_its_errors(kb: Path) -> None:
    path = kb / "runbooks/fallback/rb-fallback.yaml"
    path.write_text(path.read_text().replace("status: active", "status: actve"))
    own = [(line, code) for where, line, code in found(kb) if where.endswith("rb-fallback.yaml")]
    assert own == [(line_of(path, "status: actve"), "bad-value"), (line_of(path, "id: rb-fallback"), "class-uncovered")]
    [diagnostic] = [d for d in run_check(kb, use_index=False).diagnostics if d.code == "class-uncovered"]
    assert (
        diagnostic.message
        == "failure class 'fallback' has no active runbook: 'rb-fallback' would cover it but is invalid"
    )


def test_the_classes_a_team_meets_are_those_of_its_catalog(kb: Path) -> None:
    """Removing a class from catalog/classes.yaml stops requiring it; a listed class without an active
    runbook is reported at its entry."""
    entries = [
        f"  - {{id: {name}, title: {name}, tagline: t, description: d, boundary: b, practices: [p]}}"
        for name in ("auth-drift", "fallback")
    ]
    catalog = write(kb / "catalog/classes.yaml", "classes:\n" + "\n".join(entries) + "\n")
    (kb / "runbooks/fallback/rb-fallback.yaml").unlink()
    (kb / "runbooks/tool-policy/rb-tool-policy.yaml").unlink()
    uncovered = [(where, line) for where, line, code in found(kb) if code == "class-uncovered"]
    assert uncovered == [("catalog/classes.yaml", line_of(catalog, "id: fallback"))]


def test_without_a_catalog_the_five_classes_are_required_at_opsbook_yml(kb: Path) -> None:
    (kb / "runbooks/tool-policy/rb-tool-policy.yaml").unlink()
    [diagnostic] = [d for d in run_check(kb, use_index=False).diagnostics if d.code == "class-uncovered"]
    assert (diagnostic.path, diagnostic.line) == ("opsbook.yml", 1)
    assert diagnostic.hint and "catalog/classes.yaml" in diagnostic.hint


def test_no_finding_is_located_at_a_folder(kb: Path) -> None:
    for runbook_file in (kb / "runbooks").rglob("*.yaml"):
        runbook_file.write_text(runbook_file.read_text().replace("status: active", "status: draft"))
    diagnostics = run_check(kb, use_index=False).diagnostics
    assert {d.code for d in diagnostics} >= {"class-uncovered"}
    assert all((kb / d.path).is_file() for d in diagnostics)
