#!/usr/bin/env python3
"""`make bench`: time opsbook against its floor and its peers on a synthetic knowledge base.

For each size N (default 1,000 and 10,000 records) the harness generates a deterministic knowledge base
(scripts/kbgen.py) in a temporary folder and times, in the same run and as separate processes:

- the floor: PyYAML's C loader (`yaml.CSafeLoader`) over every file `opsbook check` reads, one process;
- `opsbook check` cold (no .opsbook-cache/), warm with nothing changed, warm with one file changed;
- `check-jsonschema` with the exported schema (`opsbook schema --out`), when it is installed;
- `opsbook build --out` (the docs tree), `mkdocs build` with the opsbook plugin (the site build), and
  the tree built without the plugin, with the same theme, extensions and nav, by `mkdocs build`,
  `zensical build` and `properdocs build` (when installed);
- `opsbook mcp` over stdio with the index present: start, p95 of each tool on a running server, a call right
  after an edit, peak RSS (scripts/bench_mcp.py);
- once per run: `opsbook --help`, and the lines of rendering code now and at BEFORE_REVISION.

Fast steps are timed best of 5 (the least disturbed run on a shared machine); a step whose first run
takes more than a minute is run once (the table says which). Peak RSS is the largest single process of
a step (a pool worker counts on its own), from `/usr/bin/time -v`, or from `getrusage(RUSAGE_CHILDREN)`
in a wrapper process when that is missing.
The results go to a Markdown table (docs/benchmarks.md) and to JSON (reports/bench.json). Compare
figures only as ratios taken in the same run: the machine may be shared and noisy.

    scripts/bench.py                       # 1k and 10k records: several minutes
    scripts/bench.py --quick               # 200 records, a smoke run
    scripts/bench.py --sizes 500 --keep    # keep the temporary folder to look at
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

SCRIPTS = Path(__file__).resolve().parent
REPO = SCRIPTS.parent
sys.path.insert(0, str(SCRIPTS))

import bench_mcp  # noqa: E402
import lighthouse_perf  # noqa: E402
from kbgen import TODAY, generate  # noqa: E402

from opsbook.site.mkdocs_config import mkdocs_settings  # noqa: E402
from opsbook.support.periods import IsoWeek, percentile  # noqa: E402

BIN = Path(sys.executable).parent
DEFAULT_SIZES = (1000, 10000)
QUICK_SIZES = (200,)
TARGET_SIZE = 10000
REPEATS = 5
SLOW_SECONDS = 60.0
STEP_TIMEOUT = 3 * 3600
X = "\N{MULTIPLICATION SIGN}"

TARGETS = {
    "cold_vs_floor": 1.3,  # cold check / bare C-loader parse, at 10k
    "warm_one_changed_s": 0.2,  # at 10k
    "warm_unchanged_s": 0.15,  # at 10k
    "triage_indexed_s": 0.3,  # at 10k, the index present and nothing changed
    "triage_cold_vs_check": 1.5,  # at 10k, no index: triage / cold check
    "command_indexed_s": 0.5,  # actions, stats, review, export at 10k with the index present
    "command_rss_mb": 300.0,  # check, triage, actions, stats, review, export at 10k
    "help_s": 0.15,
    "site_ms_per_page": 10.0,
    "site_vs_plain": 1.15,
    "site_rss_mb": 500.0,  # at 10k, the site build with the plugin
    "mcp_call_p95_s": 0.15,  # at 10k, each tool on a running server
    "mcp_start_s": 2.0,  # at 10k, the index present
    "mcp_rss_mb": 300.0,  # at 10k, the server after every tool was called
}
BEFORE_REVISION = "2497e2a"
"""The last commit with two rendering paths for record pages (HTML templates spliced into MkDocs' output)."""
ENGINES = {
    "plain": ("plain `mkdocs build`, same tree and nav, no plugin", ["mkdocs", "build"]),
    "zensical": ("`zensical build`, same tree and nav", ["zensical", "build"]),
    "properdocs": ("`properdocs build`, same tree and nav", ["properdocs", "build"]),
}
"""Engines that build the tree without the plugin; `plain` is the baseline of the ratios."""
RENDERING_CODE = (
    "tooling/opsbook/site/templates/",
    "tooling/opsbook/site/render/",
    "tooling/opsbook/site/mkdocs_plugin.py",
    "tooling/opsbook/site/mkdocs_skeletons.py",
)
"""Templates, `render/`, and the MkDocs modules (the plugin, and the skeleton converter while it existed)."""

FLOOR_SCRIPT = r"""
import json, os, sys, time
import yaml
from yaml import CSafeLoader
root = sys.argv[1]
paths = []
for folder in ("runbooks", "incidents", "catalog"):
    for directory, subdirectories, files in os.walk(os.path.join(root, folder)):
        subdirectories.sort()
        paths.extend(os.path.join(directory, name) for name in sorted(files) if name.endswith(".yaml"))
paths.append(os.path.join(root, "opsbook.yml"))
start = time.perf_counter()
errors = 0
for path in paths:
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        yaml.load(raw, Loader=CSafeLoader)
    except yaml.YAMLError:
        errors += 1
print(json.dumps({"files": len(paths), "errors": errors, "parse_seconds": time.perf_counter() - start}))
"""

RUSAGE_WRAPPER = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[2:])
seconds = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
if sys.platform == "darwin":
    rss //= 1024
with open(sys.argv[1], "w") as handle:
    json.dump({"seconds": seconds, "maxrss_kb": rss}, handle)
sys.exit(code)
"""

NAV_SCRIPT = r"""
import json, sys
from pathlib import Path
from opsbook.site.tree import DocsTree
from opsbook.site.mkdocs_plugin import CODE_TOKENS, THEME_DIR
tree = Path(sys.argv[2])
pages = [p.relative_to(tree).as_posix() for p in tree.rglob("*.md")]
with DocsTree.open(Path.cwd(), site_url=sys.argv[1]) as docs_tree:
    nav = docs_tree.navigation(pages)
print(json.dumps({"nav": nav, "theme_dir": THEME_DIR, "code_tokens": CODE_TOKENS}))
"""


# ---------------------------------------------------------------------------------------------- running


@dataclass
class Step:
    """One timed step: every run's wall time, the best of them, and the largest peak RSS seen."""

    name: str
    label: str
    runs: list[float] = field(default_factory=list)
    rss_mb: float | None = None
    exit_codes: list[int] = field(default_factory=list)
    single_because_slow: bool = False
    unit: str = "record"
    units: int = 0
    skipped: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    runs_note: str | None = None
    """What `runs` holds when it is not one time per run (a percentile of many calls)."""

    @property
    def seconds(self) -> float | None:
        return min(self.runs) if self.runs else None

    @property
    def ms_per_unit(self) -> float | None:
        return self.seconds * 1000 / self.units if self.seconds is not None and self.units else None

    @property
    def runs_label(self) -> str:
        if self.skipped:
            return "—"
        if self.runs_note:
            return self.runs_note
        if len(self.runs) == 1:
            return f"1 run (> {SLOW_SECONDS:.0f} s)" if self.single_because_slow else "1 run"
        return f"best of {len(self.runs)}"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(seconds=self.seconds, ms_per_unit=self.ms_per_unit, runs_label=self.runs_label)
        return data


class Runner:
    def __init__(self, work: Path) -> None:
        self.logs = work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "OPSBOOK_TODAY": TODAY.isoformat(),
            "NO_MKDOCS_2_WARNING": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OPSBOOK_INDEX_DIR": str(work / "index"),
        }
        self.gnu_time = _gnu_time()
        self.counter = 0

    def stem(self, tag: str) -> Path:
        self.counter += 1
        return self.logs / f"{self.counter:03d}-{tag}"

    def wrapped(self, command: Sequence[str], rss_file: Path) -> list[str]:
        """`command` run under a tool that writes its peak RSS to `rss_file` (see `peak_rss`)."""
        if self.gnu_time:
            return [self.gnu_time, "-v", "-o", str(rss_file), *command]
        return [sys.executable, "-c", RUSAGE_WRAPPER, str(rss_file), *command]

    def peak_rss(self, rss_file: Path) -> tuple[float | None, float | None]:
        """Peak RSS in MB from `rss_file`, and the wall seconds the wrapper measured (without GNU time)."""
        try:
            report = rss_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None, None
        if self.gnu_time:
            match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
            return (int(match.group(1)) / 1024 if match else None), None
        if not report:
            return None, None
        data = json.loads(report)
        return data["maxrss_kb"] / 1024, data["seconds"]

    def once(self, command: Sequence[str], cwd: Path, tag: str) -> tuple[float, float | None, int, Path, Path]:
        """Run `command`; return wall seconds, peak RSS in MB, exit code and the stdout/stderr files."""
        stem = self.stem(tag)
        out, err, rss_file = stem.with_suffix(".out"), stem.with_suffix(".err"), stem.with_suffix(".rss")
        full = self.wrapped(command, rss_file)
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            start = time.perf_counter()
            process = subprocess.Popen(full, cwd=cwd, env=self.env, stdout=stdout, stderr=stderr)
            # A blocking wait: `subprocess.run(timeout=...)` polls every 50 ms, which rounds short steps up.
            timer = threading.Timer(STEP_TIMEOUT, process.kill)
            timer.start()
            try:
                code = process.wait()
            finally:
                timer.cancel()
            seconds = time.perf_counter() - start
        rss_mb, measured = self.peak_rss(rss_file)
        return measured or seconds, rss_mb, code, out, err

    def measure(
        self,
        step: Step,
        command: Sequence[str],
        cwd: Path,
        *,
        before: Callable[[int], None] | None = None,
        after: Callable[[int, Path, Path], None] | None = None,
        repeats: int = REPEATS,
    ) -> Step:
        for index in range(repeats):
            if before is not None:
                before(index)
            seconds, rss_mb, code, out, err = self.once(command, cwd, step.name)
            step.extra["log"] = str(err)
            step.runs.append(seconds)
            step.exit_codes.append(code)
            if rss_mb is not None:
                step.rss_mb = max(step.rss_mb or 0.0, rss_mb)
            if after is not None:
                after(index, out, err)
            print(f"    {step.label}: {seconds:.3f} s (run {index + 1}, exit {code})", flush=True)
            if code == 3 or code < 0:
                step.extra["failure"] = _tail(err)
                break
            if index == 0 and seconds > SLOW_SECONDS:
                step.single_because_slow = True
                break
        return step


def _gnu_time() -> str | None:
    path = "/usr/bin/time"
    if not os.access(path, os.X_OK):
        return None
    try:
        result = subprocess.run([path, "-v", "true"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return path if "Maximum resident set size" in result.stderr else None


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _tool(name: str) -> list[str]:
    local = BIN / name
    if local.exists():
        return [str(local)]
    return [sys.executable, "-m", name]


def _find_check_jsonschema(explicit: str | None) -> str | None:
    if explicit:
        return explicit if shutil.which(explicit) else None
    local = BIN / "check-jsonschema"
    return str(local) if local.exists() else shutil.which("check-jsonschema")


# ---------------------------------------------------------------------------------------------- site configs


def site_config(*, plugin: bool) -> dict[str, Any]:
    """The repository's mkdocs.yml (theme, extensions, plugins, validation), with or without opsbook."""
    base = mkdocs_settings(REPO / "mkdocs.yml")
    plugins: list[Any] = []
    for entry in base.get("plugins") or ["search", "tags", "opsbook"]:
        name = entry if isinstance(entry, str) else next(iter(entry))
        if name == "opsbook":
            if plugin:
                plugins.append("opsbook")
            continue
        plugins.append(entry)
    if plugin and "opsbook" not in plugins:
        plugins.append("opsbook")
    config: dict[str, Any] = {
        "site_name": "synthetic-kb",
        "site_url": "https://kb.example.org/",
        "theme": dict(base.get("theme") or {"name": "material"}),
        "plugins": plugins,
        "markdown_extensions": base.get("markdown_extensions") or [],
    }
    config["theme"].pop("custom_dir", None)
    if "validation" in base:
        config["validation"] = base["validation"]
    return config


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20 if path.exists() else 0.0


# ---------------------------------------------------------------------------------------------- one size


def _diagnostics(out: Path) -> dict[str, Any] | None:
    try:
        return json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def bench_size(
    records: int, args: argparse.Namespace, runner: Runner, work: Path, schema_dir: Path, cjs: str | None
) -> dict[str, Any]:
    opsbook, mkdocs = _tool("opsbook"), _tool("mkdocs")
    root = work / f"kb-{records}"
    print(f"\n== {records:,} records: generating in {root}", flush=True)
    start = time.perf_counter()
    counts = generate(root, records, seed=args.seed, bad_files=args.bad_files)
    generate_seconds = time.perf_counter() - start
    print(
        f"    {counts['runbooks']:,} runbooks, {counts['incidents']:,} incidents, "
        f"{counts['bad_files']} bad files, {counts['bytes'] / 2**20:.1f} MB in {generate_seconds:.1f} s",
        flush=True,
    )
    bad = set(counts["bad_paths"])
    steps: dict[str, Step] = {}
    notes: list[str] = []
    index_folder = Path(runner.env["OPSBOOK_INDEX_DIR"])
    site_url = "https://kb.example.org/"

    # floor
    floor = Step("floor", "bare C-loader parse (floor, 1 process)", units=records)
    floor_info: dict[str, Any] = {}

    def read_floor(_: int, out: Path, __: Path) -> None:
        floor_info.update(json.loads(out.read_text(encoding="utf-8") or "{}"))

    runner.measure(floor, [sys.executable, "-c", FLOOR_SCRIPT, str(root)], root, after=read_floor)
    floor.extra.update(floor_info)
    steps["floor"] = floor

    # opsbook check: cold, warm, warm with one file changed
    reports: dict[str, list[dict[str, Any]]] = {}

    def keep_report(name: str) -> Callable[[int, Path, Path], None]:
        def after(_: int, out: Path, __: Path) -> None:
            report = _diagnostics(out)
            if report is not None:
                reports.setdefault(name, []).append(report)

        return after

    check = [*opsbook, "check", "--format", "json"]
    steps["check_cold"] = runner.measure(
        Step("check_cold", "`opsbook check`, cold (no index)", units=records),
        check,
        root,
        before=lambda _: shutil.rmtree(index_folder, ignore_errors=True),
        after=keep_report("cold"),
    )
    steps["check_warm"] = runner.measure(
        Step("check_warm", "`opsbook check`, warm, nothing changed", units=records),
        check,
        root,
        after=keep_report("warm"),
    )
    edited = _pick_edit_target(root, bad)
    original = edited.read_text(encoding="utf-8")

    def edit(index: int) -> None:
        day = (TODAY - dt.timedelta(days=index + 1)).isoformat()
        text, replaced = re.subn(r"(?m)^last_updated: .*$", f"last_updated: {day}", original, count=1)
        edited.write_text(text if replaced else original + f"# edited {index}\n", encoding="utf-8")

    steps["check_warm_one"] = runner.measure(
        Step("check_warm_one", "`opsbook check`, warm, one file changed", units=records),
        check,
        root,
        before=edit,
        after=keep_report("warm_one"),
    )
    steps["check_warm_one"].extra["changed_file"] = edited.relative_to(root).as_posix()
    steps["check_warm_one_single"] = runner.measure(
        Step(
            "check_warm_one_single",
            "`opsbook check --jobs 1`, warm, one file changed (no pre-forked checker)",
            units=records,
        ),
        [*check, "--jobs", "1"],
        root,
        before=edit,
        after=keep_report("warm_one"),
    )
    steps.update(bench_daemon(runner, opsbook, root, records, work, edit, keep_report))
    edited.write_text(original, encoding="utf-8")
    notes += _check_sanity(reports, bad, counts, steps)
    steps.update(bench_commands(runner, opsbook, root, records, index_folder, work))
    mcp_steps, mcp_notes = bench_mcp_server(runner, opsbook, root, bad)
    steps.update(mcp_steps)
    notes += mcp_notes
    if args.skip_site:
        return {
            "records": records,
            "counts": counts,
            "generate_seconds": round(generate_seconds, 2),
            "pages": 0,
            "steps": {name: step.as_json() for name, step in steps.items()},
            "_steps": steps,
            "notes": notes,
        }

    # peer: check-jsonschema
    peer = Step("check_jsonschema", "`check-jsonschema`, exported schema", units=records)
    if cjs is None:
        peer.skipped = "not installed (pip install check-jsonschema)"
    else:
        script = (
            '"$0" --schemafile "$1" runbooks/*/*.yaml > /dev/null; a=$?; '
            '"$0" --schemafile "$2" incidents/*/*.yaml > /dev/null; b=$?; exit $((a > b ? a : b))'
        )
        runner.measure(
            peer,
            [
                "sh",
                "-c",
                script,
                cjs,
                str(schema_dir / "runbook.schema.json"),
                str(schema_dir / "incident.schema.json"),
            ],
            root,
        )
        if peer.exit_codes and peer.exit_codes[-1] not in (0, 1):
            notes.append(f"check-jsonschema exited {peer.exit_codes[-1]}; see the log")
    steps["check_jsonschema"] = peer

    # site: opsbook build (the tree), mkdocs with the plugin, the same tree without it under three engines
    project = work / f"engines-{records}"
    markdown = project / "docs"  # Zensical wants docs_dir inside the configuration's folder
    steps["build_md"] = runner.measure(
        Step("build_md", "`opsbook build --out` (the docs tree)", unit="page"),
        [*opsbook, "build", "--out", str(markdown)],
        root,
        before=lambda _: shutil.rmtree(markdown, ignore_errors=True),
    )
    pages = sum(1 for _ in markdown.rglob("*.md"))
    steps["build_md"].units = pages

    (root / "docs").mkdir(exist_ok=True)
    plugin_config = site_config(plugin=True)
    _write_yaml(root / "mkdocs.yml", plugin_config)
    plugin_site = work / f"site-plugin-{records}"
    steps["site_plugin"] = runner.measure(
        Step("site_plugin", "`mkdocs build` with the opsbook plugin (site build)", unit="page", units=pages),
        [*mkdocs, "build", "-f", str(root / "mkdocs.yml"), "-d", str(plugin_site)],
        root,
        before=lambda _: shutil.rmtree(plugin_site, ignore_errors=True),
    )

    nav_command = [sys.executable, "-c", NAV_SCRIPT, site_url, str(markdown)]
    nav_seconds, _, nav_code, nav_out, nav_err = runner.once(nav_command, root, "nav")
    nav_data = _diagnostics(nav_out) if nav_code in (0, 1) else None
    engine_sites = {name: project / f"site-{name}" for name in ENGINES}
    if nav_data is not None:
        plain_config = site_config(plugin=False)
        plain_config.update(docs_dir="docs", site_dir=engine_sites["zensical"].name, nav=nav_data["nav"])
        plain_config["theme"]["custom_dir"] = nav_data["theme_dir"]
        plain_config["extra_css"] = ["assets/opsbook/opsbook.css"]
        plain_config["extra_javascript"] = ["assets/opsbook/opsbook.js"]
        plain_config["markdown_extensions"] = [*plain_config["markdown_extensions"], nav_data["code_tokens"]]
        _write_yaml(project / "mkdocs.yml", plain_config)
    for name, (label, command) in ENGINES.items():
        step = Step(f"site_{name}", label, unit="page", units=pages)
        executable = shutil.which(command[0], path=str(BIN)) or shutil.which(command[0])
        if nav_data is None:
            step.skipped = "could not compute the nav: " + _tail(nav_err, 2)
        elif executable is None:
            step.skipped = f"`{command[0]}` is not installed"
        else:
            site_dir = engine_sites[name]
            output = [] if name == "zensical" else ["-d", str(site_dir)]  # Zensical reads site_dir from the config
            runner.measure(
                step,
                [executable, *command[1:], "-f", str(project / "mkdocs.yml"), *output],
                project,
                before=lambda _, folder=site_dir: shutil.rmtree(folder, ignore_errors=True),
            )
        steps[step.name] = step
    plain = steps["site_plain"]
    for step in (steps["build_md"], steps["site_plugin"], *(steps[f"site_{name}"] for name in ENGINES)):
        expected = {0, 1} if step.name == "build_md" else {0}
        if step.exit_codes and step.exit_codes[-1] not in expected:
            notes.append(f"{step.label} exited {step.exit_codes[-1]}: {_tail(Path(step.extra['log']), 3)}")
    plain_site = engine_sites["plain"]
    sites = {}
    for name, folder in (("plugin", plugin_site), ("plain", plain_site)):
        html = sum(1 for _ in folder.rglob("*.html")) if folder.exists() else 0
        index = folder / "search" / "search_index.json"
        sites[name] = {
            "html_files": html,
            "size_mb": round(_size_mb(folder), 1),
            "search_index_mb": round(index.stat().st_size / 2**20, 1) if index.exists() else None,
        }
    steps["site_plugin"].extra.update(sites["plugin"])
    plain.extra.update(sites["plain"])
    if (
        sites["plugin"]["html_files"]
        and sites["plain"]["html_files"]
        and (sites["plugin"]["html_files"] != sites["plain"]["html_files"])
    ):
        notes.append(
            f"the plugin site has {sites['plugin']['html_files']} HTML files, the plain one "
            f"{sites['plain']['html_files']}"
        )
    if not args.keep:
        for folder in (plugin_site, *engine_sites.values()):
            shutil.rmtree(folder, ignore_errors=True)
    return {
        "records": records,
        "counts": counts,
        "generate_seconds": round(generate_seconds, 2),
        "pages": pages,
        "nav_helper_seconds": round(nav_seconds, 2),
        "steps": {name: step.as_json() for name, step in steps.items()},
        "_steps": steps,
        "notes": notes,
    }


TRIAGE_TEXT = "openai.RateLimitError: Error code: 429 - rate_limit_exceeded, and the fallback model was never tried"


def bench_commands(
    runner: Runner, opsbook: list[str], root: Path, records: int, index_folder: Path, work: Path
) -> dict[str, Step]:
    """The commands that read through the index: with it present and nothing changed, and triage without it."""
    runner.once([*opsbook, "check"], root, "index")  # the index is current again after the edits above
    export = work / f"export-{records}.json"
    commands = {
        "triage_indexed": ("`opsbook triage`, index present", ["triage", TRIAGE_TEXT]),
        "actions_indexed": ("`opsbook actions --overdue`, index present", ["actions", "--overdue", "--format", "json"]),
        "stats_indexed": ("`opsbook stats`, index present", ["stats", "--format", "json"]),
        "review_indexed": (
            "`opsbook review --week`, index present",
            ["review", "--week", str(IsoWeek.last_complete(TODAY)), "--format", "json"],
        ),
        "export_indexed": ("`opsbook export`, index present", ["export", "--out", str(export), "--force"]),
    }
    steps = {
        name: runner.measure(Step(name, label, units=records), [*opsbook, *arguments], root)
        for name, (label, arguments) in commands.items()
    }
    steps["triage_cold"] = runner.measure(
        Step("triage_cold", "`opsbook triage`, no index", units=records),
        [*opsbook, "triage", TRIAGE_TEXT],
        root,
        before=lambda _: shutil.rmtree(index_folder, ignore_errors=True),
    )
    return steps


DAEMON_COMMANDS = {
    "triage": ["triage", TRIAGE_TEXT],
    "actions": ["actions", "--overdue", "--format", "json"],
    "stats": ["stats", "--format", "json"],
    "review": ["review", "--week", str(IsoWeek.last_complete(TODAY)), "--format", "json"],
    "export": ["export", "--format", "json"],
}


def bench_daemon(
    runner: Runner,
    opsbook: list[str],
    root: Path,
    records: int,
    work: Path,
    edit: Callable[[int], None],
    keep_report: Callable[[str], Callable[[int, Path, Path], None]],
) -> dict[str, Step]:
    """The same commands answered by `opsbook daemon` (opt-in): check warm and after one edit (its reports join
    the warm ones that must equal the cold run), then each command that reads through the index. A step's peak
    RSS is the daemon's, which does the work."""
    code = runner.once([*opsbook, "daemon", "start"], root, "daemon-start")[2]
    if code != 0:
        print("bench: `opsbook daemon start` failed; the daemon rows are left out", file=sys.stderr)
        return {}
    try:
        status = runner.once([*opsbook, "daemon", "status"], root, "daemon-status")[3].read_text(encoding="utf-8")
        pid = re.search(r"\(pid (\d+)\)", status)
        check = [*opsbook, "check", "--format", "json"]
        steps = {
            "daemon_check_warm": runner.measure(
                Step("daemon_check_warm", "`opsbook check` with the daemon, nothing changed", units=records),
                check,
                root,
                after=keep_report("warm"),
            ),
            "daemon_check_warm_one": runner.measure(
                Step("daemon_check_warm_one", "`opsbook check` with the daemon, one file changed", units=records),
                check,
                root,
                before=edit,
                after=keep_report("warm_one"),
            ),
        }
        for name, arguments in DAEMON_COMMANDS.items():
            label = f"`opsbook {' '.join(arguments[:2]) if name == 'actions' else name}` with the daemon"
            steps[f"daemon_{name}"] = runner.measure(
                Step(f"daemon_{name}", label, units=records), [*opsbook, *arguments], root
            )
        peak = _daemon_peak_rss_mb(int(pid.group(1))) if pid else None
        for step in steps.values():
            step.rss_mb = peak
    finally:
        runner.once([*opsbook, "daemon", "stop"], root, "daemon-stop")
    return steps


def _daemon_peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) / 1024 if found else None


def bench_mcp_server(
    runner: Runner, opsbook: list[str], root: Path, bad: set[str]
) -> tuple[dict[str, Step], list[str]]:
    """`opsbook mcp` over stdio with the index present: start, p95 per tool, a call after an edit, RSS."""
    runner.once([*opsbook, "check"], root, "index")
    stem = runner.stem("mcp")
    rss_file = stem.with_suffix(".rss")
    weeks = [str(IsoWeek.last_complete(TODAY).minus(n)) for n in range(3)]
    print("    `opsbook mcp`: starts and tool calls over stdio", flush=True)
    data = bench_mcp.measure(
        runner.wrapped([*opsbook, "mcp"], rss_file), root, runner.env, stem.with_suffix(".err"), weeks, bad
    )
    rss_mb, _ = runner.peak_rss(rss_file)
    steps = {
        "mcp_start": Step(
            "mcp_start", "`opsbook mcp` start, index present (spawn → initialize answered)", unit="call", units=1
        )
    }
    steps["mcp_start"].runs = data["start_s"]
    steps["mcp_start"].rss_mb = rss_mb
    for name, latencies in data["tools"].items():
        step = Step(f"mcp_{name}", f"MCP `{name}` on a running server", unit="call", units=1, rss_mb=rss_mb)
        step.runs = [percentile(latencies, 0.95) or 0.0]
        step.runs_note = f"p95 of {len(latencies)} calls"
        step.extra.update(median_s=percentile(latencies, 0.5), max_s=max(latencies))
        steps[step.name] = step
        print(f"    {step.label}: p95 {step.runs[0] * 1000:.0f} ms", flush=True)
    after = Step("mcp_after_edit", "MCP `get_runbook` right after a runbook file changed", unit="call", units=1)
    after.runs = [data["after_edit_s"]]
    after.runs_note = "1 call"
    steps[after.name] = after
    return steps, [f"MCP call answered with an error: {error}" for error in data["errors"]]


def _pick_edit_target(root: Path, bad: set[str]) -> Path:
    """A good incident from the middle of the tree, so the edit is typical."""
    incidents = sorted(p for p in (root / "incidents").rglob("*.yaml") if p.relative_to(root).as_posix() not in bad)
    return incidents[len(incidents) // 2]


def _check_sanity(
    reports: dict[str, list[dict[str, Any]]], bad: set[str], counts: dict[str, Any], steps: dict[str, Step]
) -> list[str]:
    """What a correct `opsbook check` must report here: errors in exactly the bad files, same answer warm."""
    notes = []
    cold = (reports.get("cold") or [None])[0]
    if cold is None:
        return ["`opsbook check` printed no JSON report; see the logs"]
    error_files = {d["path"] for d in cold["diagnostics"] if d["level"] == "error"}
    steps["check_cold"].extra.update(
        errors=cold["errors"],
        warnings=cold["warnings"],
        files_checked=cold["files_checked"],
        error_files=len(error_files),
    )
    if error_files != bad:
        missing, extra = sorted(bad - error_files), sorted(error_files - bad)
        notes.append(
            f"cold check: errors expected in exactly the {len(bad)} bad files; missing {missing[:5]}, "
            f"unexpected {extra[:5]}"
        )
    if cold["warnings"]:
        codes = sorted({d["code"] for d in cold["diagnostics"] if d["level"] == "warning"})
        notes.append(f"cold check: {cold['warnings']} warnings on a knowledge base built to have none ({codes})")
    if cold["files_checked"] < counts["records"]:
        notes.append(f"cold check: {cold['files_checked']} files checked for {counts['records']} records")

    def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return a["diagnostics"] == b["diagnostics"] and a["files_checked"] == b["files_checked"]

    for name, label in (("warm", "warm (nothing changed)"), ("warm_one", "warm (one file changed)")):
        for index, report in enumerate(reports.get(name, [])):
            if not same(report, cold):
                notes.append(
                    f"check {label}, run {index + 1}: diagnostics differ from the cold run "
                    f"({report['errors']} errors, {report['warnings']} warnings against "
                    f"{cold['errors']}, {cold['warnings']})"
                )
                break
    return notes


# ---------------------------------------------------------------------------------------------- report


def compile_package() -> None:
    """Write opsbook's bytecode, as pip does for an installed package. An editable install never gets it
    when PYTHONDONTWRITEBYTECODE is set, and every step would then compile the modules it imports."""
    spec = importlib.util.find_spec("opsbook")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "versions": {
            name: version(name)
            for name in ("opsbook", "mkdocs", "mkdocs-material", "PyYAML", "pydantic", "check-jsonschema")
        },
        "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
    }


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _ratio(value: float | None, base: float | None) -> float | None:
    return value / base if value is not None and base else None


def _times(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}{X}"


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} MB"


def targets(results: list[dict[str, Any]], help_step: Step) -> list[dict[str, Any]]:
    """Every target with its measured value and pass/fail; 10k targets use the largest size run."""
    rows = []
    largest = max(results, key=lambda r: r["records"]) if results else None

    def scope(result: dict[str, Any]) -> str:
        records = result["records"]
        note = "" if records == TARGET_SIZE else f" (target is set at {TARGET_SIZE:,}; largest size run)"
        return f"{records:,} records{note}"

    def row(target: str, where: str, measured: float | None, limit: float, shown: str, limit_shown: str) -> None:
        rows.append(
            {
                "target": target,
                "scope": where,
                "measured": measured,
                "limit": limit,
                "shown": shown,
                "limit_shown": limit_shown,
                "pass": None if measured is None else measured <= limit,
            }
        )

    if largest is not None:
        steps: dict[str, Step] = largest["_steps"]
        ratio = _ratio(steps["check_cold"].seconds, steps["floor"].seconds)
        row(
            f"cold check ≤ 1.3{X} the bare C-loader parse",
            scope(largest),
            ratio,
            TARGETS["cold_vs_floor"],
            _times(ratio),
            f"1.30{X}",
        )
        warm = steps["check_warm_one"].seconds
        row(
            "warm check, one file changed ≤ 0.2 s",
            scope(largest),
            warm,
            TARGETS["warm_one_changed_s"],
            _seconds(warm),
            "200 ms",
        )
        unchanged = steps["check_warm"].seconds
        row(
            "warm check, nothing changed ≤ 0.15 s",
            scope(largest),
            unchanged,
            TARGETS["warm_unchanged_s"],
            _seconds(unchanged),
            "150 ms",
        )
        if "daemon_check_warm" in steps:
            for name, label, limit, shown in (
                (
                    "daemon_check_warm_one",
                    "with the daemon: warm check, one file changed ≤ 0.2 s",
                    "warm_one_changed_s",
                    "200 ms",
                ),
                (
                    "daemon_check_warm",
                    "with the daemon: warm check, nothing changed ≤ 0.15 s",
                    "warm_unchanged_s",
                    "150 ms",
                ),
                ("daemon_triage", "with the daemon: triage ≤ 0.3 s", "triage_indexed_s", "300 ms"),
            ):
                measured = steps[name].seconds
                row(label, scope(largest), measured, TARGETS[limit], _seconds(measured), shown)
            for name in ("actions", "stats", "review", "export"):
                measured = steps[f"daemon_{name}"].seconds
                row(
                    f"with the daemon: {steps[f'daemon_{name}'].label.split(' with')[0]} ≤ 0.5 s",
                    scope(largest),
                    measured,
                    TARGETS["command_indexed_s"],
                    _seconds(measured),
                    "500 ms",
                )
        triage = steps["triage_indexed"].seconds
        row(
            "triage, index present ≤ 0.3 s",
            scope(largest),
            triage,
            TARGETS["triage_indexed_s"],
            _seconds(triage),
            "300 ms",
        )
        ratio = _ratio(steps["triage_cold"].seconds, steps["check_cold"].seconds)
        row(
            f"triage, no index ≤ 1.5{X} a cold check",
            scope(largest),
            ratio,
            TARGETS["triage_cold_vs_check"],
            _times(ratio),
            f"1.50{X}",
        )
        for name in ("actions_indexed", "stats_indexed", "review_indexed", "export_indexed"):
            step = steps[name]
            row(
                f"{step.label.split(',')[0]} ≤ 0.5 s",
                scope(largest),
                step.seconds,
                TARGETS["command_indexed_s"],
                _seconds(step.seconds),
                "500 ms",
            )
        command_steps = [
            steps[n]
            for n in (
                "check_cold",
                "check_warm",
                "check_warm_one",
                "triage_indexed",
                "triage_cold",
                "actions_indexed",
                "stats_indexed",
                "review_indexed",
                "export_indexed",
            )
        ] + [step for name, step in steps.items() if name.startswith("daemon_")]
        worst = max(command_steps, key=lambda s: s.rss_mb or 0.0)
        row(
            f"peak RSS of each command ≤ 300 MB (largest: {worst.label})",
            scope(largest),
            worst.rss_mb,
            TARGETS["command_rss_mb"],
            _mb(worst.rss_mb),
            "300 MB",
        )
        calls = [step for name, step in steps.items() if name.startswith("mcp_") and "p95" in (step.runs_note or "")]
        if calls:
            slowest = max(calls, key=lambda s: s.seconds or 0.0)
            row(
                f"MCP tool call p95 ≤ 150 ms on a running server (slowest: {slowest.label.split(' ')[1]})",
                scope(largest),
                slowest.seconds,
                TARGETS["mcp_call_p95_s"],
                _seconds(slowest.seconds),
                "150 ms",
            )
            start = steps["mcp_start"]
            row(
                "MCP server start ≤ 2 s, index present",
                scope(largest),
                start.seconds,
                TARGETS["mcp_start_s"],
                _seconds(start.seconds),
                "2 s",
            )
            row(
                "MCP server peak RSS ≤ 300 MB",
                scope(largest),
                start.rss_mb,
                TARGETS["mcp_rss_mb"],
                _mb(start.rss_mb),
                "300 MB",
            )
        if "site_plugin" in steps:
            site_rss = steps["site_plugin"].rss_mb
            row(
                "peak RSS of the site build with the plugin ≤ 500 MB",
                scope(largest),
                site_rss,
                TARGETS["site_rss_mb"],
                _mb(site_rss),
                "500 MB",
            )
    row(
        "`opsbook --help` ≤ 0.15 s",
        "any",
        help_step.seconds,
        TARGETS["help_s"],
        _seconds(help_step.seconds),
        "150 ms",
    )
    for result in results:
        steps = result["_steps"]
        if "site_plugin" not in steps:
            continue
        site, plain = steps["site_plugin"], steps["site_plain"]
        where = f"{result['records']:,} records, {result['pages']:,} pages"
        row(
            "site build ≤ 10 ms per page",
            where,
            site.ms_per_unit,
            TARGETS["site_ms_per_page"],
            "—" if site.ms_per_unit is None else f"{site.ms_per_unit:.2f} ms/page",
            "10 ms/page",
        )
        ratio = _ratio(site.seconds, plain.seconds)
        row(
            f"site build ≤ 1.15{X} plain `mkdocs build`",
            where,
            ratio,
            TARGETS["site_vs_plain"],
            _times(ratio),
            f"1.15{X}",
        )
    return rows


def markdown_report(
    info: dict[str, Any],
    results: list[dict[str, Any]],
    help_step: Step,
    validator_step: Step,
    target_rows: list[dict[str, Any]],
    settings: dict[str, Any],
) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v)
    sizes = ", ".join(f"{r['records']:,}" for r in results)
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`scripts/bench.py`) on a synthetic knowledge base from "
        f"`scripts/kbgen.py` (seed {settings['seed']}, {settings['bad_files']} bad files per size; ~10 % "
        "runbooks of ~6 KB, ~90 % incidents of ~4 KB, every incident using 1-3 runbooks, every runbook "
        "naming 2-4 related ones). Do not edit by hand: rerun the benchmark. Compare figures only as ratios "
        "from the same run.",
        "",
        f"- **Machine:** {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
        f"{info['memory_gib']} GiB RAM, {info['platform']}",
        f"- **Python:** {info['python']} (libyaml {'yes' if info['libyaml'] else 'no'}); {versions}",
        f"- **Date:** {info['date']}; sizes {sizes}" + (" (quick smoke run)" if settings["quick"] else ""),
        f"- **Timing:** best of {REPEATS} for fast steps; a step whose first run takes more than "
        f"{SLOW_SECONDS:.0f} s runs once. Wall time of a fresh process, start-up included. Peak RSS is the "
        f"largest single process of the step (a pool worker counts on its own), from "
        f"{settings['rss_source']}. opsbook's bytecode is compiled first, as an installed package has it.",
        "",
        "## Targets",
        "",
        "| target | measured at | measured | limit | result |",
        "|---|---|---:|---:|:---:|",
    ]
    for row in target_rows:
        result = "n/a" if row["pass"] is None else ("pass" if row["pass"] else "**FAIL**")
        lines.append(f"| {_cell(row['target'])} | {row['scope']} | {row['shown']} | {row['limit_shown']} | {result} |")
    lines += [
        "",
        f"`opsbook --help`: {_seconds(help_step.seconds)} ({help_step.runs_label}), peak RSS {_mb(help_step.rss_mb)}.",
        "",
        f"A fresh interpreter importing the record validator (`python -c 'import opsbook.records.check_file'`: "
        f"pydantic, the models, PyYAML) takes {_seconds(validator_step.seconds)} ({validator_step.runs_label}). "
        "Any run that has to check a changed file pays at least that; a warm `opsbook check` hides it by "
        "forking a checker that does those imports while the parent looks for changes (compare the rows "
        "with and without `--jobs 1`).",
        "",
        "Every site row builds the same docs tree, the one `opsbook build --out` writes: with the plugin "
        "(which writes the tree, then hands MkDocs its files), and without it, given the same theme, "
        "extensions and nav, by MkDocs, Zensical and ProperDocs. Each record page is one Markdown template "
        "converted whole by the engine.",
        "",
        "Lines of rendering code (templates, `render/`, the MkDocs modules): "
        + ", ".join(f"{label} {count:,}" for label, count in settings["rendering_lines"].items())
        + ".",
    ]
    for result in results:
        counts = result["counts"]
        steps: dict[str, Step] = result["_steps"]
        floor = steps["floor"].seconds
        peer = steps.get("check_jsonschema")  # absent with --skip-site
        plain = steps["site_plain"].seconds if "site_plain" in steps else None
        megabytes = counts["bytes"] / 2**20
        runbook_kb, incident_kb = counts["runbook_bytes_mean"] / 1000, counts["incident_bytes_mean"] / 1000
        lines += [
            "",
            f"## {result['records']:,} records",
            "",
            f"{counts['runbooks']:,} runbooks, {counts['incidents']:,} incidents "
            f"({counts['bad_files']} bad files), {counts['links']:,} links, {megabytes:.1f} MB of YAML "
            f"(runbooks {runbook_kb:.1f} KB, incidents {incident_kb:.1f} KB on average); "
            f"{result['pages']:,} pages.",
            "",
            f"| step | runs | time | per record / page | {X} floor | {X} peer | peak RSS |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for name, step in steps.items():
            if step.skipped:
                lines.append(f"| {_cell(step.label)} | — | {_cell(step.skipped)} | — | — | — | — |")
                continue
            per = "—" if step.ms_per_unit is None else f"{step.ms_per_unit:.3f} ms/{step.unit}"
            versus_floor = _times(_ratio(step.seconds, floor)) if step.unit == "record" else "—"
            versus_peer = "—"
            if name.startswith("check_") and name != "check_jsonschema" and peer and peer.seconds:
                versus_peer = f"{_times(_ratio(step.seconds, peer.seconds))} check-jsonschema"
            elif name.startswith("site_") and plain:
                versus_peer = f"{_times(_ratio(step.seconds, plain))} plain"
            lines.append(
                f"| {_cell(step.label)} | {step.runs_label} | {_seconds(step.seconds)} | {per} | "
                f"{versus_floor} | {versus_peer} | {_mb(step.rss_mb)} |"
            )
        cold = steps["check_cold"].extra
        empty: dict[str, Any] = {}
        site = steps["site_plugin"].extra if "site_plugin" in steps else empty
        plain_site = steps["site_plain"].extra if "site_plain" in steps else empty
        lines += [
            "",
            f"Cold check: {cold.get('files_checked', '?')} files checked, {cold.get('errors', '?')} errors "
            f"in {cold.get('error_files', '?')} files, {cold.get('warnings', '?')} warnings. "
            f"Sites: {site.get('html_files', 0):,} HTML files, {site.get('size_mb', 0)} MB, search index "
            f"{site.get('search_index_mb')} MB with the plugin; {plain_site.get('html_files', 0):,} HTML "
            f"files, {plain_site.get('size_mb', 0)} MB, search index {plain_site.get('search_index_mb')} MB "
            "plain.",
        ]
        if result["notes"]:
            lines += ["", "Problems seen:", ""] + [f"- {_cell(note)}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _strip(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if not k.startswith("_")}


# ---------------------------------------------------------------------------------------------- main


def rendering_lines(revision: str) -> int | None:
    """Lines of the rendering code committed at `revision` (None when git cannot tell)."""
    listing = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", revision, "--", "tooling/opsbook/site/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if listing.returncode:
        return None
    total = 0
    for name in listing.stdout.split():
        if name.startswith(RENDERING_CODE):
            shown = subprocess.run(
                ["git", "show", f"{revision}:{name}"], cwd=REPO, capture_output=True, text=True, check=False
            )
            total += len(shown.stdout.splitlines())
    return total


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="Comma-separated record counts (default: %(default)s).",
    )
    parser.add_argument("--quick", action="store_true", help=f"Smoke run: sizes {QUICK_SIZES[0]} only.")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md", help="Markdown table.")
    parser.add_argument("--json", type=Path, default=REPO / "reports" / "bench.json", help="JSON results.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder (printed at the end).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bad-files", type=int, default=5)
    parser.add_argument("--check-jsonschema", help="Path of check-jsonschema (default: the venv, then PATH).")
    parser.add_argument("--skip-site", action="store_true", help="Leave out the site builds (the slowest steps).")
    args = parser.parse_args(argv)
    try:
        args.size_list = list(QUICK_SIZES) if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes: not a list of numbers: {args.sizes!r}")
    if not args.size_list or min(args.size_list) < 20:
        parser.error("--sizes: each size must be at least 20 records")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        from yaml import CSafeLoader  # noqa: F401
    except ImportError:
        print("bench: PyYAML has no C loader here (libyaml); the floor cannot be measured", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="opsbook-bench-"))
    runner = Runner(work)
    cjs = _find_check_jsonschema(args.check_jsonschema)
    info = machine()
    settings = {
        "sizes": args.size_list,
        "quick": args.quick,
        "seed": args.seed,
        "bad_files": args.bad_files,
        "repeats": REPEATS,
        "slow_seconds": SLOW_SECONDS,
        "today": TODAY.isoformat(),
        "rss_source": "/usr/bin/time -v" if runner.gnu_time else "getrusage(RUSAGE_CHILDREN) in a wrapper",
        "check_jsonschema": cjs,
        "targets": TARGETS,
        "rendering_lines": {
            label: count
            for label, count in (
                (f"at {BEFORE_REVISION}", rendering_lines(BEFORE_REVISION)),
                ("now", rendering_lines("HEAD")),
            )
            if count is not None
        },
    }
    print(f"bench: working in {work}; {info['cpu']}, {info['cores']} cores, Python {info['python']}", flush=True)
    compile_package()
    try:
        schema_dir = work / "schema"
        code = runner.once([*_tool("opsbook"), "schema", "--out", str(schema_dir)], work, "schema")[2]
        if code != 0:
            print("bench: `opsbook schema --out` failed; check-jsonschema is skipped", file=sys.stderr)
            cjs = None
        print("\n== opsbook --help", flush=True)
        help_step = runner.measure(
            Step("help", "`opsbook --help`", unit="call", units=1), [*_tool("opsbook"), "--help"], work
        )
        validator_step = runner.measure(
            Step("validator_import", "`python -c 'import opsbook.records.check_file'`", unit="call", units=1),
            [sys.executable, "-c", "import opsbook.records.check_file"],
            work,
        )
        results = [bench_size(records, args, runner, work, schema_dir, cjs) for records in args.size_list]
        target_rows = targets(results, help_step)
        lighthouse_rows: list[dict[str, Any]] = []
        if not args.skip_site:
            print("\n== Lighthouse performance of the bundled site", flush=True)
            site = lighthouse_perf.build_bundled_site(work / "bundled-site")
            lighthouse_rows = lighthouse_perf.measure(site) if site else []
        text = markdown_report(info, results, help_step, validator_step, target_rows, settings)
        text += "\n## Lighthouse performance\n\n" + "\n".join(lighthouse_perf.markdown(lighthouse_rows)) + "\n"
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "machine": info,
            "settings": settings,
            "help": help_step.as_json(),
            "validator_import": validator_step.as_json(),
            "sizes": [_strip(r) for r in results],
            "targets": target_rows,
            "lighthouse": lighthouse_rows,
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
        print("\n" + text)
        print(f"bench: wrote {args.out} and {args.json}")
    finally:
        if args.keep:
            print(f"bench: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
