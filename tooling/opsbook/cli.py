"""The `opsbook` command line: thin Click commands over the core modules.

Each command parses options, calls one core function and prints its result; heavy libraries are imported
inside the commands so that `opsbook --help` stays fast. Exit codes: 0 clean, 1 problems found,
2 usage error, 3 internal error (a bug).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from opsbook import __version__

ISSUES_URL = "https://github.com/opsbook/opsbook/issues"
FORMATS = click.Choice(["text", "json", "github"])


class OpsbookGroup(click.Group):
    """Turns unexpected exceptions into exit 3 with a one-line message instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("opsbook: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(1)
        except Exception as error:
            from opsbook.support.atomic import CannotWrite

            if isinstance(error, CannotWrite):
                raise click.ClickException(str(error)) from None
            if ctx.find_root().params.get("debug"):
                import traceback

                traceback.print_exc()
            else:
                click.echo(
                    f"opsbook: internal error: {type(error).__name__}: {error}\n"
                    f"  this is a bug in opsbook; rerun with --debug for the traceback and report it at "
                    f"{ISSUES_URL}",
                    err=True,
                )
            sys.exit(3)


@click.group(cls=OpsbookGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="opsbook")
@click.option("--debug", is_flag=True, help="Show the traceback of internal errors.")
@click.option(
    "--root",
    "-C",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    help="The knowledge base (default: $OPSBOOK_ROOT, else the nearest folder above with opsbook.yml).",
)
@click.pass_context
def main(ctx: click.Context, debug: bool, root: Path | None) -> None:
    """Incident runbooks and postmortems for AI-agent systems, as checked YAML and a static site."""
    ctx.obj = root


def _root(start: Path | None = None) -> Path:
    """The knowledge base to work on; exits 2 with what was looked for when there is none."""
    from opsbook.index.root import NoKnowledgeBase, find_root

    explicit = click.get_current_context().find_root().obj
    try:
        return find_root(explicit, start)
    except NoKnowledgeBase as missing:
        click.echo(f"opsbook: {missing}", err=True)
        sys.exit(2)


def _index(root: Path) -> Any:
    from opsbook.index.knowledge import KnowledgeIndex
    from opsbook.support.progress import ProgressLine

    progress = ProgressLine("indexing")
    try:
        index = KnowledgeIndex.open(root, progress=progress)
    finally:
        progress.close()
    click.get_current_context().call_on_close(index.close)
    return index


def _figures_index(root: Path) -> tuple[Any, set[str]]:
    """The index for a command that computes figures, and the records to leave out of them: those
    `opsbook check` finds errors in. Stops (exit 1) on an invalid opsbook.yml rather than carry on with the
    defaults, and says how many records are left out."""
    from opsbook.checks.report import config_errors, failing_records
    from opsbook.records.diagnostics import display_path, plural
    from opsbook.support.clock import today

    index = _index(root)
    errors = config_errors(index)
    if errors:
        for error in errors:
            click.echo(error.as_text(), err=True)
        where = display_path(root / "opsbook.yml")
        click.echo(f"opsbook: {plural(len(errors), 'error')} in {where}; fix it first", err=True)
        sys.exit(1)
    left_out = failing_records(index, today())
    if left_out:
        click.echo(
            f"opsbook: left out {plural(len(left_out), 'record')} with errors in `opsbook check` "
            f"({', '.join(display_path(root / path) for path in sorted(left_out)[:3])}"
            f"{', …' if len(left_out) > 3 else ''}); run it to see why",
            err=True,
        )
    return index, left_out


def _fail_exists(path: Path) -> None:
    from opsbook.records.diagnostics import display_path

    raise click.ClickException(f"{display_path(path)} already exists; pass --force to replace it")


EXIT_CODES = """\b
Exit codes:
  0  no errors (warnings allowed unless --strict; notices never fail)
  1  problems found
  2  usage error: an unknown option or code, a path outside the knowledge base
  3  internal error: a bug in opsbook (rerun with --debug and report it)"""


@main.command(epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["auto", "text", "json", "github", "sarif"]),
    default="auto",
    show_default=True,
    help="auto: GitHub annotations when GITHUB_ACTIONS=true, else text (coloured on a terminal unless "
    "NO_COLOR is set). sarif: for code scanning.",
)
@click.option("--select", multiple=True, metavar="CODES", help="Report only these codes (comma-separated or repeated).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Do not report these codes.")
@click.option("--strict", is_flag=True, help="Fail on warnings too (placeholders, staleness, overdue P0 items).")
@click.option("--quiet", "-q", is_flag=True, help="Show only what fails the run, without the closing count.")
@click.option(
    "--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core; 1: no extra process)."
)
@click.option("--no-index", is_flag=True, help="Check every file again; neither read nor write the stored index.")
def check(
    paths: tuple[Path, ...],
    output_format: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    strict: bool,
    quiet: bool,
    jobs: int | None,
    no_index: bool,
) -> None:
    """Validate every runbook and incident and report all problems with file:line:col.

    With file PATHS (as pre-commit passes them), report those files' problems and the problems their
    records cause in other files; a folder checks the whole knowledge base it is in.

    \b
    Choosing what is reported:
      opsbook.yml               checks: {CODE: error | warning | notice | off}
      a comment on a line       # opsbook: ignore[CODE, ...]
      a comment in a file       # opsbook: ignore-file[CODE, ...]
      this run                  --select CODES / --ignore CODES
    Errors that keep a file from being read as a record are always reported.
    """
    import os

    from opsbook.checks.control import UnknownCode, parse_codes
    from opsbook.checks.report import CheckReport, NotInKnowledgeBase, run_check
    from opsbook.index.prefork import take_early

    try:
        parse_codes([*select, *ignore])
    except UnknownCode as error:
        raise click.UsageError(str(error)) from None
    groups = _by_knowledge_base(paths)
    checker = take_early()
    if checker is not None and (jobs == 1 or no_index):
        checker.cancel()
        checker = None
    reports = []
    for root, files in groups.items():
        try:
            reports.append(
                run_check(root, files, jobs=jobs, use_index=not no_index, checker=checker, select=select, ignore=ignore)
            )
        except NotInKnowledgeBase as error:
            raise click.UsageError(str(error)) from None
        checker = None  # the first run took charge of it
    report = CheckReport([d for each in reports for d in each.diagnostics], sum(r.files_checked for r in reports))
    if output_format == "auto":
        output_format = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    color = output_format == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    text = report.render(output_format, color=color, quiet=quiet, strict=strict)
    if text:
        click.echo(text, color=color)
    sys.exit(report.exit_code(strict=strict))


def _by_knowledge_base(paths: tuple[Path, ...]) -> dict[Path, list[Path] | None]:
    """The knowledge bases PATHS belong to (each path finds its own: pre-commit passes files of any folder),
    each with the files to report on, or None for all of it (no path given, or a folder)."""
    if not paths:
        return {_root(): None}
    groups: dict[Path, list[Path] | None] = {}
    for path in paths:
        root = _root(path)
        if path.is_dir():
            groups[root] = None
        elif root not in groups:
            groups[root] = [path]
        elif (files := groups[root]) is not None:
            files.append(path)
    return groups


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Folder (default: <root>/schema).")
@click.option("--check", "only_check", is_flag=True, help="Exit 1 if the files differ from the models.")
def schema(out: Path | None, only_check: bool) -> None:
    """Write the JSON Schema of every record type, exported from the models."""
    from opsbook.records.schema import outdated, schema_documents
    from opsbook.support.atomic import write_text

    folder = out or _root() / "schema"
    if only_check:
        stale = outdated(folder)
        for name in stale:
            click.echo(f"{folder / name}: out of date; run `opsbook schema`")
        sys.exit(1 if stale else 0)
    for name, text in schema_documents().items():
        write_text(folder / name, text, force=True)
        click.echo(f"wrote {folder / name}")


@main.group()
def new() -> None:
    """Start a new record from a template that passes `opsbook check`."""


@new.command("runbook")
@click.option(
    "--class",
    "failure_class",
    required=True,
    type=click.Choice(["auth-drift", "session-lifecycle", "fallback", "stale-deploy", "tool-policy"]),
)
@click.option("--id", "record_id", required=True, help="Lower-case words joined by hyphens.")
@click.option("--title", help="States the symptom (default: from the id).")
@click.option("--owner", default="<fill in: owning team>", show_default=False)
@click.option("--force", is_flag=True, help="Replace an existing file.")
def new_runbook(failure_class: str, record_id: str, title: str | None, owner: str, force: bool) -> None:
    """Scaffold runbooks/<class>/<id>.yaml."""
    from opsbook.features.scaffold import ScaffoldError
    from opsbook.features.scaffold import new_runbook as scaffold
    from opsbook.support.atomic import WouldOverwrite

    try:
        path = scaffold(_root(), failure_class, record_id, title=title, owner=owner, force=force)
    except ScaffoldError as error:
        raise click.UsageError(str(error)) from None
    except WouldOverwrite as error:
        _fail_exists(Path(str(error)))
    click.echo(f"created {path}")


@new.command("incident")
@click.option("--title", required=True)
@click.option(
    "--class",
    "failure_class",
    default="other",
    show_default=True,
    type=click.Choice(["auth-drift", "session-lifecycle", "fallback", "stale-deploy", "tool-policy", "other"]),
)
@click.option(
    "--severity",
    default="SEV3",
    show_default=True,
    type=click.Choice(["SEV1", "SEV2", "SEV3", "SEV4", "SEV5"]),
)
@click.option("--date", "started", help="Start date YYYY-MM-DD (default: today).")
@click.option("--force", is_flag=True, help="Replace an existing file.")
def new_incident(title: str, failure_class: str, severity: str, started: str | None, force: bool) -> None:
    """Scaffold incidents/<YYYY>/<date>-<slug>.yaml."""
    from opsbook.features.scaffold import ScaffoldError
    from opsbook.features.scaffold import new_incident as scaffold
    from opsbook.support.atomic import WouldOverwrite

    try:
        path = scaffold(_root(), title, failure_class, severity, started, force=force)
    except ScaffoldError as error:
        raise click.UsageError(str(error)) from None
    except WouldOverwrite as error:
        _fail_exists(Path(str(error)))
    click.echo(f"created {path}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default="opsbook", help="Site and knowledge-base name.")
@click.option("--force", is_flag=True, help="Use a non-empty folder; replaces files the starter also has.")
def init(directory: Path, name: str, force: bool) -> None:
    """Create a working knowledge base in DIRECTORY (config, starter runbooks, mkdocs.yml)."""
    from opsbook.features.scaffold import init_knowledge_base
    from opsbook.support.atomic import WouldOverwrite

    if directory.exists() and any(directory.iterdir()) and not force:
        raise click.ClickException(f"{directory} is not empty; pass --force to add the starter files anyway")
    try:
        written = init_knowledge_base(directory, name, force=force)
    except WouldOverwrite as error:
        _fail_exists(Path(str(error)))
    click.echo(f"created {len(written)} files in {directory}; next: opsbook check {directory}")


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/docs"),
    show_default=True,
    help="Folder for the generated Markdown and data files.",
)
@click.option("--public", is_flag=True, help="Leave out internal records and fields.")
@click.option("--force", is_flag=True, help="Replace an earlier build in --out (the whole folder).")
def build(out: Path, public: bool, force: bool) -> None:
    """Write the site as a docs tree that MkDocs, Zensical or ProperDocs builds without the opsbook plugin
    (the same files the plugin hands MkDocs)."""
    from opsbook.checks.report import PublicBuildRefused
    from opsbook.site.tree import DocsTree, write_tree
    from opsbook.support.atomic import NotWrittenByOpsbook, WouldOverwrite
    from opsbook.support.progress import ProgressLine

    root = _root()
    progress = ProgressLine("building")
    try:
        with DocsTree.open(root, public=public, site_url=_site_url(root), progress=progress) as tree:
            written = write_tree(tree, out, force=force)
    except WouldOverwrite:
        raise click.ClickException(f"{out} is not empty; pass --force to replace an earlier build") from None
    except NotWrittenByOpsbook:
        raise click.ClickException(
            f"{out} holds files that opsbook build did not write; --force replaces only an earlier build, "
            "so choose an empty or new folder"
        ) from None
    except PublicBuildRefused as refused:
        for finding in refused.findings:
            click.echo(finding.as_text(), err=True)
        raise click.ClickException(str(refused)) from None
    finally:
        progress.close()
    for diagnostic in tree.diagnostics:
        if diagnostic.is_error:
            click.echo(diagnostic.as_text(), err=True)
    click.echo(f"wrote {len(written)} files to {out}")
    sys.exit(1 if any(d.is_error for d in tree.diagnostics) else 0)


@main.command()
@click.option("--format", "output_format", type=click.Choice(["json"]), default="json", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file instead of stdout.")
@click.option("--public", is_flag=True, help="Leave out internal records and fields.")
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
def export(output_format: str, out: Path | None, public: bool, force: bool) -> None:
    """Print the knowledge base as one JSON object (what the site publishes at /api/knowledge-base.json)."""
    from opsbook.checks.report import PublicBuildRefused, knowledge_base_diagnostics, publication_blockers
    from opsbook.features.export import knowledge_base_json
    from opsbook.support.atomic import WouldOverwrite, write_text
    from opsbook.support.clock import today

    root = _root()
    index = _index(root)
    if public:
        blockers = publication_blockers(index, knowledge_base_diagnostics(index, today()))
        for finding in blockers:
            click.echo(finding.as_text(), err=True)
        if blockers:
            raise click.ClickException(str(PublicBuildRefused(blockers, "export")))
    data = knowledge_base_json(index, today(), public=public, site_url=_site_url(root))
    if out is None:
        click.echo(data, nl=False)  # bytes go to the binary stream as they are: no decoding, no escape search
        return
    try:
        write_text(out, data, force=force)
    except WouldOverwrite:
        _fail_exists(out)
    click.echo(f"wrote {out}")


def _site_url(root: Path) -> str | None:
    from opsbook.site.mkdocs_config import site_url

    return site_url(root)


@main.command()
@click.option("--week", help="ISO week such as 2026-W47 (default: the last complete week).")
@click.option("--format", "output_format", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default for md: <reviews folder>/<week>.md; json prints to stdout).",
)
@click.option("--force", is_flag=True, help="Replace an existing review document.")
def review(week: str | None, output_format: str, out: Path | None, force: bool) -> None:
    """Prepare the weekly incident review (Build, Growth, QA) for one ISO week."""
    from opsbook.site.render.review import weekly_review
    from opsbook.support.atomic import WouldOverwrite, write_text
    from opsbook.support.clock import today
    from opsbook.support.periods import IsoWeek

    try:
        iso_week = IsoWeek.parse(week) if week else IsoWeek.last_complete(today())
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--week") from None
    root = _root()
    index, left_out = _figures_index(root)
    page = f"reviews/{iso_week}.md"
    if output_format == "md":
        paths = index.settings["paths"]
        out = out or root / paths["reviews"] / f"{iso_week}.md"
        docs = (root / paths["docs"]).resolve()
        if out.resolve().is_relative_to(docs):
            page = out.resolve().relative_to(docs).as_posix()
    text, quiet = weekly_review(
        index, iso_week, output_format, on=today(), page=page, site_url=_site_url(root), leave_out=left_out
    )
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        write_text(out, text, force=force)
    except WouldOverwrite:
        _fail_exists(out)
    click.echo(f"wrote {out}" + (" (quiet week)" if quiet else ""))


@main.command()
@click.option("--overdue", is_flag=True, help="Only items past their due date or SLA.")
@click.option("--owner", help="Only items of this owner.")
@click.option("--all", "include_closed", is_flag=True, help="Include done and not_doing items.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def actions(overdue: bool, owner: str | None, include_closed: bool, output_format: str) -> None:
    """List action items from every incident, overdue first."""
    import json

    from opsbook.features.actions import follow_ups
    from opsbook.support.clock import today

    index, left_out = _figures_index(_root())
    items = follow_ups(
        index, today(), overdue_only=overdue, owner=owner, include_closed=include_closed, leave_out=left_out
    )
    if output_format == "json":
        click.echo(json.dumps([item.as_json() for item in items], indent=2, ensure_ascii=False))
        return
    for item in items:
        flag = "OVERDUE " if item.overdue else ""
        click.echo(
            f"{flag}{item.deadline.isoformat()} {item.priority} {item.owner or '(no owner)'}: {item.title} "
            f"[{item.status}] ({item.incident})"
        )
    click.echo(f"{len(items)} action item{'s' if len(items) != 1 else ''}")


@main.command()
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def stats(output_format: str) -> None:
    """Incident counts and response times by class, severity and month."""
    import json

    from opsbook.features.stats import stats as compute_stats
    from opsbook.support.clock import today

    index, left_out = _figures_index(_root())
    result = compute_stats(index, today(), leave_out=left_out)
    if output_format == "json":
        click.echo(json.dumps(result, indent=2))
        return
    incidents = result["incidents"]
    click.echo(f"incidents: {incidents['in_metrics']} counted of {incidents['total']}")
    for group in ("by_class", "by_severity", "by_month"):
        click.echo(f"{group.replace('_', ' ')}:")
        for key, summary in incidents[group].items():
            ttr = summary["TTR"]["median_minutes"]
            click.echo(f"  {key:<20} {summary['count']:>4}   median TTR {'—' if ttr is None else f'{ttr:.0f} min'}")
    actions_ = result["action_items"]
    click.echo(f"action items: {actions_['open']} open, {actions_['overdue']} overdue, {actions_['done']} done")


@main.command()
@click.argument("text", required=False)
@click.option("--top", type=click.IntRange(min=1), default=3, show_default=True, help="How many runbooks to list.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--eval",
    "eval_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML list of {text, expected, runbook?}: print accuracy, calibration and the misses.",
)
@click.option(
    "--split", type=click.Choice(["dev", "test"]), help="With --eval: only the cases of this split (field `split`)."
)
def triage(text: str | None, top: int, output_format: str, eval_file: Path | None, split: str | None) -> None:
    """Paste an error (argument or stdin) and get the failure class, the runbooks to open and the past
    incidents that needed them."""
    import json

    from opsbook.features.answer import answer, answer_text
    from opsbook.features.triage import evaluate, ranking_index

    root = _root()
    if eval_file is not None:
        cases = [case for case in _eval_cases(eval_file) if split is None or case["split"] == split]
        with _index(root) as index:
            result = evaluate(ranking_index(index), cases)
        click.echo(
            json.dumps(result, indent=2, ensure_ascii=False) if output_format == "json" else _evaluation_text(result)
        )
        return
    if text is None:
        if sys.stdin.isatty():
            raise click.UsageError("give the error text as an argument or on stdin")
        text = sys.stdin.read()
    if not text.strip():
        raise click.UsageError("the text to triage is empty")
    with _index(root) as index:
        verdict = answer(index, text, top=top)
    if output_format == "json":
        click.echo(json.dumps(verdict.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(answer_text(verdict, _site_url(root)))


def _evaluation_text(result: dict[str, Any]) -> str:
    def percent(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    lines = [
        f"{result['cases']} cases: top-1 {percent(result['top1'])}, top-3 {percent(result['top3'])}",
        f"  with a class: top-1 {percent(result['classed_top1'])}; unrelated with no class: "
        f"{percent(result['unrelated_no_class'])}; right runbook in the top 3: {percent(result['runbook_top3'])}",
        f"  confident answers: {result['confident']}, right {percent(result['confident_right'])}",
    ]
    for miss in result["misses"]:
        runbook = f" runbook {miss['runbook']} not in {', '.join(miss['runbooks']) or '-'};" if miss["runbook"] else ""
        lines.append(
            f"  miss: expected {miss['expected']}, got {miss['predicted']} ({miss['confidence']:.2f}"
            f"{', unsure' if miss['unsure'] else ''});{runbook} {miss['text'][:110]!r}"
        )
    return "\n".join(lines)


@main.command("mcp")
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (http).")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="Port (http).")
@click.option("--public", is_flag=True, help="Serve only what the public site shows.")
def mcp_server(transport: str, host: str, port: int, public: bool) -> None:
    """Serve the knowledge base to AI agents over MCP, read-only (http: http://HOST:PORT/mcp)."""
    from opsbook.features.agent.desk import KnowledgeDesk

    desk = KnowledgeDesk.open(_root(), public=public)  # first: the MCP SDK's import overlaps the search build
    try:
        from opsbook.mcp import serve

        serve(desk, transport="http" if transport == "http" else "stdio", host=host, port=port)
    finally:
        desk.close()


@main.group()
def daemon() -> None:
    """Keep the knowledge base's index in memory between commands (opt-in).

    \b
    While it runs, check, triage, actions, stats, review and export are answered by it, from an index its
    folder watch keeps current: the same output, without each command's start-up and index load.
    OPSBOOK_DAEMON=off runs a command in its own process anyway."""


@daemon.command("start")
@click.option(
    "--idle-minutes",
    type=click.FloatRange(min=0, min_open=True),
    default=60,
    show_default=True,
    help="Stop after this long without a command.",
)
def daemon_start(idle_minutes: float) -> None:
    """Start the daemon of this knowledge base in the background (nothing if it runs)."""
    from opsbook.daemon.client import DaemonError, start

    root = _root()
    try:
        status = start(root, idle_minutes)
    except DaemonError as error:
        raise click.ClickException(str(error)) from None
    click.echo(_daemon_line(status))


@daemon.command("stop")
def daemon_stop() -> None:
    """Stop the daemon of this knowledge base."""
    root, status = _ask_daemon("stop")
    click.echo(f"stopped the daemon of {root}" if status else f"no daemon runs for {root}")


@daemon.command("status")
def daemon_status() -> None:
    """Whether a daemon answers for this knowledge base (exit 1 if not)."""
    root, status = _ask_daemon("status")
    if status is None:
        click.echo(f"no daemon runs for {root}")
        sys.exit(1)
    click.echo(_daemon_line(status))


def _ask_daemon(op: str) -> tuple[Path, dict[str, Any] | None]:
    """The knowledge base, and its daemon's answer to `op` (None: no daemon answers)."""
    from opsbook.daemon.client import DaemonError, ask

    root = _root()
    try:
        return root, ask(root, op)
    except DaemonError as error:
        raise click.ClickException(str(error)) from None


def _daemon_line(status: dict[str, Any]) -> str:
    from opsbook.records.diagnostics import plural

    cancelled = f", {status['cancelled']} cancelled by their caller" if status.get("cancelled") else ""
    return (
        f"daemon of {status['root']} running (pid {status['pid']}): {plural(status['answered'], 'command')} "
        f"answered{cancelled}; stops after {status['idle_minutes']:g} idle minutes or `opsbook daemon stop`"
    )


def _eval_cases(path: Path) -> list[dict[str, Any]]:
    from opsbook.features.triage_eval import EvalSet
    from opsbook.records.model_file import load_model_file

    cases, diagnostics = load_model_file(path, EvalSet)
    if cases is None:
        for diagnostic in diagnostics:
            click.echo(diagnostic.as_text(), err=True)
        sys.exit(1)
    return [case.model_dump() for case in cases.root]


@main.group()
def env() -> None:
    """Check real environments against the environment manifest."""


@env.command("check")
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Environment manifest (default: <root>/catalog/environment.yaml).",
)
@click.option(
    "--env",
    "environments",
    multiple=True,
    metavar="NAME=FILE",
    help="An environment and its dotenv file, KEY=VALUE listing or list of names; FILE '-' reads the "
    "process environment. Repeat for each environment.",
)
@click.option(
    "--src",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Source folder to scan for variable references.",
)
@click.option("--project", help="Linked project id, or the file holding it (default: the manifest's link file).")
@click.option("--format", "output_format", type=FORMATS, default="text", show_default=True)
def env_check(
    manifest: Path | None,
    environments: tuple[str, ...],
    src: Path | None,
    project: str | None,
    output_format: str,
) -> None:
    """Missing, preview-only, unknown, equal-but-must-differ and wrong-format variables; client exposure."""
    from opsbook.features.env.check import run_env_check
    from opsbook.records.output import format_diagnostics

    pairs = []
    for spec in environments:
        name, separator, path = spec.partition("=")
        if not separator or not name or not path:
            raise click.BadParameter(f"{spec!r} is not NAME=FILE", param_hint="--env")
        pairs.append((name, path))
    manifest_path = manifest or _root() / "catalog" / "environment.yaml"
    try:
        diagnostics, checked = run_env_check(manifest_path, pairs, src, project)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo(format_diagnostics(sorted(diagnostics), output_format, checked=checked))
    sys.exit(1 if any(d.is_error for d in diagnostics) else 0)


@main.command()
@click.argument("runbook_id", required=False)
@click.option("--incident", "incident_id", metavar="ID", help="Add the walk's timeline to this incident.")
@click.option(
    "--new-incident",
    "new_incident_title",
    metavar="TITLE",
    help="Create the incident first (as `opsbook new incident --title TITLE`), then walk into it.",
)
@click.option("--actor", metavar="NAME", help="Who walks it (default: your login name; on --resume: the last one).")
@click.option(
    "--actor-kind",
    type=click.Choice(["person", "agent"]),
    help="Whether the actor is a person or an AI agent (default: person; on --resume: the last one).",
)
@click.option("--run", is_flag=True, help="Offer to run each step's command, after you confirm it, in a shell.")
@click.option(
    "--timeout",
    type=click.IntRange(1, 86_400),
    default=120,
    show_default=True,
    help="Seconds a command may run under --run before it is stopped.",
)
@click.option(
    "--resume",
    "resume",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[WALK_ID]",
    help="Continue an interrupted walk: WALK_ID, or without it the most recently started walk of this "
    "knowledge base that has not finished. It keeps the runbook, incident and --run of its start.",
)
def walk(
    runbook_id: str | None,
    incident_id: str | None,
    new_incident_title: str | None,
    actor: str | None,
    actor_kind: str | None,
    run: bool,
    timeout: int,
    resume: str | None,
) -> None:
    """Walk a runbook step by step: before you start, diagnose, mitigate, verify.

    Each answer (done, failed or skipped, with an optional note) goes to an append-only audit log; at the
    end the walk's timeline events and a runbooks_used entry are added to the incident. A step that needs
    approval cannot be marked done or run until its approver is entered at the terminal. Ctrl-C saves;
    `opsbook walk --resume` continues at the next step.
    """
    from click.core import ParameterSource

    from opsbook.features.walk.log import WalkLogError
    from opsbook.features.walk.screen import Console
    from opsbook.features.walk.session import Actor, WalkError, default_actor, resume_walk, start_walk

    console = Console.standard()
    timeout_given = click.get_current_context().get_parameter_source("timeout") is not ParameterSource.DEFAULT
    chosen = Actor(actor or default_actor().name, actor_kind or "person") if actor or actor_kind else None
    try:
        if resume is not None:
            if runbook_id or incident_id or new_incident_title or run or timeout_given:
                raise click.UsageError("--resume continues the walk as it began; give only --actor or --actor-kind")
            sys.exit(resume_walk(_root(), resume or None, actor=chosen, console=console))
        if runbook_id is None:
            raise click.UsageError("give the RUNBOOK_ID to walk, or --resume")
        if incident_id and new_incident_title:
            raise click.UsageError("give --incident or --new-incident, not both")
        code = start_walk(
            _root(),
            runbook_id,
            incident_id=incident_id,
            new_incident_title=new_incident_title,
            actor=chosen or default_actor(),
            run=run,
            timeout=timeout,
            console=console,
        )
    except WalkError as error:
        raise click.UsageError(str(error)) from None
    except WalkLogError as error:
        raise click.ClickException(str(error)) from None
    sys.exit(code)
