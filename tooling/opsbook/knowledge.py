"""Load a knowledge base: find it, read its configuration, check every record file, keep what is good.

One bad file never stops the others: each file becomes a `FileOutcome` with its diagnostics and, when
it is valid, its record and facts. Large knowledge bases are checked on a process pool; a warm cache
(see `opsbook.cache`) skips files that have not changed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from multiprocessing import get_context
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, RootModel

from opsbook.diagnostics import Diagnostic, display_path
from opsbook.facts import RecordFacts, RecordKind, incident_facts, partial_facts, runbook_facts
from opsbook.loader import Document, Limits, load_file
from opsbook.models import Config, Incident, Runbook
from opsbook.models.catalog import ClassCatalog, ToolCatalog, WorkflowCatalog
from opsbook.models.environment import EnvManifest
from opsbook.rules import incident_rules, runbook_rules
from opsbook.secretscan import scan_text
from opsbook.validate import validate_model

if TYPE_CHECKING:
    from opsbook.cache import Cache
    from opsbook.graph import LinkIndex

CONFIG_FILE = "opsbook.yml"
RECORD_SUFFIX = ".yaml"
PARALLEL_THRESHOLD = 400

Model = TypeVar("Model", bound=BaseModel)
Progress = Callable[[int, int], None]


@dataclass(slots=True)
class FileOutcome:
    path: str
    diagnostics: list[Diagnostic]
    facts: RecordFacts | None = None
    record: Runbook | Incident | None = None


@dataclass(frozen=True, slots=True)
class FileTask:
    absolute: str
    display: str
    relative: str
    kind: RecordKind
    max_bytes: int
    keep_record: bool


@dataclass
class KnowledgeBase:
    root: Path
    config: Config
    outcomes: list[FileOutcome]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    workflows: WorkflowCatalog | None = None
    tools: ToolCatalog | None = None
    classes: ClassCatalog | None = None
    environment: EnvManifest | None = None

    @cached_property
    def facts(self) -> list[RecordFacts]:
        """Facts of every identifiable record, including invalid ones (`valid=False`) so links resolve."""
        return [o.facts for o in self.outcomes if o.facts is not None]

    @cached_property
    def links(self) -> LinkIndex:
        """Records and their resolved references, built once for the checks and for the site."""
        from opsbook.graph import build_graph

        workflow_ids = {w.id for w in self.workflows.workflows} if self.workflows else set()
        return build_graph(self.facts, workflow_ids)

    @cached_property
    def runbooks(self) -> dict[str, Runbook]:
        return {o.record.id: o.record for o in self.outcomes if isinstance(o.record, Runbook)}

    @cached_property
    def incidents(self) -> dict[str, Incident]:
        return {o.record.id: o.record for o in self.outcomes if isinstance(o.record, Incident)}

    @property
    def all_diagnostics(self) -> list[Diagnostic]:
        return [d for o in self.outcomes for d in o.diagnostics] + self.diagnostics

    @property
    def files_checked(self) -> int:
        return len(self.outcomes) + sum(1 for _ in self.catalog_files())

    def catalog_files(self) -> Iterable[Path]:
        catalog = self.root / self.config.paths.catalog
        return (catalog / name for name in CATALOG_FILES if (catalog / name).is_file())


CATALOG_FILES: dict[str, type[BaseModel]] = {
    "workflows.yaml": WorkflowCatalog,
    "tools.yaml": ToolCatalog,
    "classes.yaml": ClassCatalog,
    "environment.yaml": EnvManifest,
}


def find_root(start: Path) -> Path:
    """The knowledge base containing `start`.

    The nearest folder at or above `start` with `opsbook.yml`; failing that, the nearest with a
    `runbooks/` or `incidents/` folder; failing that, `start` itself.
    """
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    ancestors = (folder, *folder.parents)
    for candidate in ancestors:
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    for candidate in ancestors:
        if (candidate / "runbooks").is_dir() or (candidate / "incidents").is_dir():
            return candidate
    return folder


def load_config(root: Path) -> tuple[Config, list[Diagnostic]]:
    path = root / CONFIG_FILE
    if not path.is_file():
        return Config(), []
    config, diagnostics = load_model_file(path, Config)
    if any(d.code == "empty-file" for d in diagnostics):
        return Config(), []
    return config or Config(), diagnostics


def load_model_file(path: Path, model: type[Model], limits: Limits = Limits()) -> tuple[Model | None, list[Diagnostic]]:
    record, _, diagnostics = load_located(path, model, limits)
    return record, diagnostics


def load_located(
    path: Path, model: type[Model], limits: Limits = Limits()
) -> tuple[Model | None, Document | None, list[Diagnostic]]:
    """A model from one YAML file, with the parsed document for locating later findings."""
    result = load_file(path, display_path(path), limits, mapping=not issubclass(model, RootModel))
    if result.document is None:
        return None, None, result.diagnostics
    record, errors = validate_model(result.document, model, result.diagnostics)
    secrets = scan_text(result.document.source, result.document.path)
    return record, result.document, result.diagnostics + errors + secrets


@dataclass(frozen=True, slots=True)
class Found:
    absolute: str
    display: str
    relative: str
    """Path below the record type's folder, e.g. `fallback/openai-429.yaml`."""
    kind: RecordKind
    is_link: bool


def discover(root: Path, config: Config) -> list[Found]:
    """Every record file under the runbook and incident folders, sorted for stable output.

    Plain strings and `os.scandir` keep this cheap for ten thousand files; paths are shown relative
    to the working directory when the knowledge base is below it.
    """
    shown_root = display_path(root)
    prefix = "" if shown_root == "." else shown_root.rstrip(os.sep) + os.sep
    found: list[Found] = []
    kinds: tuple[tuple[str, RecordKind], ...] = (
        (config.paths.runbooks, "runbook"),
        (config.paths.incidents, "incident"),
    )
    for folder_name, kind in kinds:
        folder = os.path.join(root, folder_name)
        if not os.path.isdir(folder):
            continue
        found.extend(_walk(folder, "", prefix + folder_name.rstrip("/") + os.sep, kind))
    return found


def _walk(folder: str, relative: str, shown: str, kind: RecordKind) -> list[Found]:
    files: list[Found] = []
    folders: list[tuple[str, str]] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return files
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            folders.append((entry.path, entry.name))
        elif entry.name.endswith(RECORD_SUFFIX):
            name = relative + entry.name
            files.append(Found(entry.path, shown + name, name, kind, entry.is_symlink()))
    for path, name in folders:
        files.extend(_walk(path, f"{relative}{name}/", shown, kind))
    return files


def check_record_file(task: FileTask) -> FileOutcome:
    """Parse, validate and rule-check one record file. Runs in worker processes; never raises for input."""
    result = load_file(Path(task.absolute), task.display, Limits(max_file_bytes=task.max_bytes))
    document = result.document
    if document is None:
        return FileOutcome(task.display, result.diagnostics)
    relative = PurePath(task.relative)
    if task.kind == "runbook":
        return _finish(task, result.diagnostics, document, Runbook, relative)
    return _finish(task, result.diagnostics, document, Incident, relative)


def _finish(
    task: FileTask,
    diagnostics: list[Diagnostic],
    document: Document,
    model: type[Runbook] | type[Incident],
    relative: PurePath,
) -> FileOutcome:
    record, errors = validate_model(document, model, diagnostics)
    diagnostics = diagnostics + errors
    if record is None:
        return FileOutcome(task.display, diagnostics, partial_facts(document, task.kind))
    if isinstance(record, Runbook):
        diagnostics.extend(runbook_rules(document, record, relative))
        facts = runbook_facts(document, record)
    else:
        diagnostics.extend(incident_rules(document, record, relative))
        facts = incident_facts(document, record)
    return FileOutcome(task.display, diagnostics, facts, record if task.keep_record else None)


def _outside_root(path: Path, root: Path) -> bool:
    if not path.is_symlink():
        return False
    try:
        return not path.resolve(strict=False).is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False  # a link loop: reading it reports the problem


def load_knowledge_base(
    root: Path,
    *,
    keep_records: bool = True,
    jobs: int | None = None,
    cache: Cache | None = None,
    progress: Progress | None = None,
) -> KnowledgeBase:
    from opsbook.graph import graph_diagnostics

    config, config_diagnostics = load_config(root)
    tasks: list[FileTask] = []
    outcomes: dict[str, FileOutcome] = {}
    order: list[str] = []
    for found in discover(root, config):
        display = found.display
        order.append(display)
        if found.is_link and _outside_root(Path(found.absolute), root):
            target = Path(found.absolute).resolve()
            outcomes[display] = FileOutcome(
                display, [Diagnostic(display, 1, 1, "outside-root", f"links to {target}, outside {root}")]
            )
            continue
        task = FileTask(found.absolute, display, found.relative, found.kind, config.limits.max_file_bytes, keep_records)
        cached = cache.lookup(task) if cache is not None and not keep_records else None
        if cached is not None:
            outcomes[display] = cached
        else:
            tasks.append(task)
    for outcome in _run(tasks, jobs, progress):
        outcomes[outcome.path] = outcome
        if cache is not None and not keep_records:
            cache.store(outcome)
    if cache is not None:
        cache.save()
    kb = KnowledgeBase(root, config, [outcomes[p] for p in order], list(config_diagnostics))
    _load_catalog(kb)
    kb.diagnostics.extend(_scan_docs(root / config.paths.docs))
    kb.diagnostics.extend(graph_diagnostics(kb))
    return kb


def _scan_docs(folder: Path) -> list[Diagnostic]:
    """Hand-written pages are published too: a credential pasted into one is as bad as in a record."""
    found: list[Diagnostic] = []
    if folder.is_dir():
        for path in sorted(folder.rglob("*.md")):
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            found.extend(scan_text(text, display_path(path)))
    return found


def _load_catalog(kb: KnowledgeBase) -> None:
    for path in kb.catalog_files():
        record, diagnostics = load_model_file(path, CATALOG_FILES[path.name])
        kb.diagnostics.extend(diagnostics)
        if isinstance(record, WorkflowCatalog):
            kb.workflows = record
        elif isinstance(record, ToolCatalog):
            kb.tools = record
        elif isinstance(record, ClassCatalog):
            kb.classes = record
        elif isinstance(record, EnvManifest):
            kb.environment = record


def _run(tasks: list[FileTask], jobs: int | None, progress: Progress | None) -> Iterable[FileOutcome]:
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    total = len(tasks)
    if workers <= 1 or total < PARALLEL_THRESHOLD:
        results: Iterable[FileOutcome] = map(check_record_file, tasks)
        yield from _counted(results, total, progress)
        return
    chunk = max(16, total // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        yield from _counted(pool.map(check_record_file, tasks, chunksize=chunk), total, progress)


def _counted(results: Iterable[Any], total: int, progress: Progress | None) -> Iterable[FileOutcome]:
    for done, outcome in enumerate(results, 1):
        if progress is not None:
            progress(done, total)
        yield outcome
