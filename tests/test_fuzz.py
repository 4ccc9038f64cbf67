"""Fuzzing: whatever bytes or mangled records come in, opsbook answers with located diagnostics.

(a) YAML-like bytes, random text and random binary through `load_bytes` never raise: the result is a
    document or at least one diagnostic.
(b) Valid runbooks and incidents with random damage (a key deleted, a value of another type, unknown
    keys, very long, unicode or markup strings, lists and mappings swapped), dumped to YAML, go through
    loader, model validation, rules and facts without raising.
(c) Every diagnostic points into the file: line >= 1, col >= 1, and no line past the end.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import PurePath
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsbook.records.check_file import check_content
from opsbook.records.diagnostics import Diagnostic
from opsbook.records.files import FileTask
from opsbook.records.yaml_loader import LoadResult, load_bytes
from tests.kbfactory import incident, runbook

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- (a) YAML-like input -----------------------------------------------------------------------------

FRAGMENTS = [
    # structure
    "id",
    "title",
    "summary",
    "mitigation",
    "timestamps",
    "started",
    "action",
    "command",
    ": ",
    ":",
    "- ",
    "-",
    "\n",
    "\r\n",
    "\r",
    "  ",
    "    ",
    "\t",
    ", ",
    "? ",
    "[",
    "]",
    "{",
    "}",
    "---",
    "...",
    "#",
    "# comment\n",
    "|",
    "|-",
    ">",
    ">+",
    "%YAML 1.1\n",
    "%TAG ! tag:example.com,2000:\n",
    # anchors, aliases, merges
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: *a",
    "<<: ",
    "<<",
    # tags
    "!!python/object/apply:os.system ['true'] ",
    "!!python/name:os.system ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!str ",
    "!!map ",
    "!!seq ",
    "!!set ",
    "!!omap ",
    "!!pairs ",
    "!!binary ",
    "!!timestamp ",
    "!!null ",
    "!custom ",
    "!<tag:example.com,2000:x> ",
    "! ",
    # scalars that YAML 1.1 resolves to dates, numbers and booleans, valid and not
    "2026-11-17",
    "2026-02-30",
    "2026-13-01",
    "2026-11-17T10:00:00Z",
    "2026-11-17 10:00:00",
    "2026-11-17 25:61:00",
    "2026-11-17T10:00:00+99:00",
    "0x1F",
    "0x_",
    "-0x_",
    "0b_",
    "0o7",
    "1_000",
    "1e400",
    "1:20:30",
    ".nan",
    ".inf",
    "-.inf",
    "99999999999999999999",
    "1" + "0" * 5000,
    "yes",
    "no",
    "on",
    "off",
    "~",
    "null",
    "true",
    "=",
    # quoting and escapes
    '"',
    "'",
    "''",
    '""',
    '"\\x41"',
    '"\\ud800"',
    '"\\U0010ffff"',
    '"\\q"',
    "\\",
    # awkward characters
    "\u00e9",
    "\u202e",
    "\ufeff",
    "\u2028",
    "\x85",
    "\x00",
    "\x7f",
    "\U0001f600",
    "<script>",
    "{{ x }}",
]

raw_fragment = st.one_of(
    st.sampled_from(FRAGMENTS).map(lambda text: text.encode("utf-8")),
    st.text(max_size=6).map(lambda text: text.encode("utf-8")),
    st.sampled_from([b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80"]),
    st.binary(max_size=4),
)
yaml_like_bytes = st.lists(raw_fragment, max_size=40).map(b"".join)


def assert_loaded(result: LoadResult) -> None:
    assert result.document is not None or result.diagnostics, "neither a document nor a diagnostic"
    if result.document is not None:
        assert isinstance(result.document.data, dict)
    assert all(isinstance(d, Diagnostic) for d in result.diagnostics)


def assert_located(diagnostics: list[Diagnostic], raw: bytes) -> None:
    last_line = len(raw.decode("utf-8", errors="replace").splitlines()) + 1
    for diagnostic in diagnostics:
        assert diagnostic.line >= 1 and diagnostic.col >= 1, diagnostic
        assert diagnostic.line <= last_line, f"{diagnostic} points past the end (line {last_line})"


@FUZZ
@given(yaml_like_bytes)
def test_loader_never_raises_on_yaml_like_bytes(raw: bytes) -> None:
    assert_loaded(load_bytes(raw, "f.yaml"))


@FUZZ
@given(st.text(max_size=300))
def test_loader_never_raises_on_random_text(text: str) -> None:
    assert_loaded(load_bytes(text.encode("utf-8"), "f.yaml"))


@FUZZ
@given(st.binary(max_size=300))
def test_loader_never_raises_on_random_bytes(raw: bytes) -> None:
    assert_loaded(load_bytes(raw, "f.yaml"))


@FUZZ
@given(yaml_like_bytes)
def test_every_loader_diagnostic_points_into_the_file(raw: bytes) -> None:
    assert_located(load_bytes(raw, "f.yaml").diagnostics, raw)


# --- (b) damaged records -----------------------------------------------------------------------------

RUNBOOK_ID, INCIDENT_ID = "rb-fuzz", "2026-11-18-fuzz"
BASES = {
    "runbook": runbook(RUNBOOK_ID, "fallback", related=["rb-auth-drift"], escalation="page the lead"),
    "incident": incident(INCIDENT_ID, runbooks_used=[{"runbook": "rb-auth-drift", "helped": "partly"}]),
}
FILES = {
    "runbook": PurePath(f"runbooks/fallback/{RUNBOOK_ID}.yaml"),
    "incident": PurePath(f"incidents/2026/{INCIDENT_ID}.yaml"),
}

NASTY_STRINGS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "   ",
            "\u3000",
            "x" * 20_001,
            "\u00e9" * 25_000,
            "\U0001f600" * 300,
            "\u202eevil\u202c",
            "line\nbreak\r\nand\u2028more",
            "<script>alert(1)</script>",
            "{{ 7 * 7 }}{% raw %}",
            "<fill in: owning team>",
            "/(a+)+$/",
            "/(/",
            "../../etc/passwd",
            "C:\\Windows\\system32",
            "null",
            "2026-02-30",
            "rm -rf / && gh secret set X && vercel deploy --prod",
        ]
    ),
)
# whole-minute offsets: PyYAML writes others with an explicit !!timestamp tag it cannot read back
offsets = st.integers(min_value=-1380, max_value=1380).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**30, max_value=10**40),
    st.floats(),
    NASTY_STRINGS,
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=offsets),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=6,
)
KEYS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["comand", "mitigaton", "id", "<<", "on", "tags[]", "a.b", "$ref", "x" * 500]),
)


def locations(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Key paths of every value below the root."""
    found = []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        found.append((*prefix, key))
        found.extend(locations(child, (*prefix, key)))
    return found


def parent_and_key(data: Any, location: tuple[Any, ...]) -> tuple[Any, Any]:
    node = data
    for part in location[:-1]:
        node = node[part]
    return node, location[-1]


Damaged = tuple[str, dict[str, Any]]


@st.composite
def damaged_records(draw: st.DrawFn) -> Damaged:
    kind = draw(st.sampled_from(sorted(BASES)))
    data = copy.deepcopy(BASES[kind])
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        places = locations(data)
        if not places:
            break
        parent, key = parent_and_key(data, draw(st.sampled_from(places)))
        value = parent[key]
        damage = draw(st.sampled_from(["delete", "retype", "unknown-key", "nasty-string", "swap"]))
        if damage == "delete":
            del parent[key]
        elif damage == "retype":
            parent[key] = draw(VALUES)
        elif damage == "unknown-key":
            target = value if isinstance(value, dict) else data
            target[draw(KEYS)] = draw(VALUES)
        elif damage == "nasty-string":
            parent[key] = draw(NASTY_STRINGS)
        elif isinstance(value, list):
            parent[key] = {f"item{index}": item for index, item in enumerate(value)}
        elif isinstance(value, dict):
            parent[key] = list(value.values())
        else:
            parent[key] = [value]
    return kind, data


def check_record(kind: str, raw: bytes) -> list[Diagnostic]:
    """What `opsbook check` does with one record file, minus the file system."""
    task = FileTask(FILES[kind].as_posix(), FILES[kind].as_posix(), kind, 1 << 20)  # type: ignore[arg-type]
    return check_content(task, raw).diagnostics


def dumped(data: dict[str, Any]) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=80).encode("utf-8")


def test_undamaged_bases_are_valid() -> None:
    for kind, data in BASES.items():
        assert [d for d in check_record(kind, dumped(data)) if d.is_error] == [], kind


@FUZZ
@given(damaged_records())
def test_damaged_records_yield_diagnostics_not_exceptions(damaged: Damaged) -> None:
    kind, data = damaged
    assert all(isinstance(d, Diagnostic) for d in check_record(kind, dumped(data)))


@FUZZ
@given(damaged_records())
def test_every_diagnostic_of_a_damaged_record_points_into_the_file(damaged: Damaged) -> None:
    kind, data = damaged
    raw = dumped(data)
    assert_located(check_record(kind, raw), raw)
