"""Load a knowledge base: find it, read its configuration, check every record file, keep what is good.

One bad file never stops the others: each file becomes a `FileOutcome` with its diagnostics and, when
it is valid, its record and facts. Large knowledge bases are checked on a process pool; a warm cache
(see `opsbook.index.cache`) skips files that have not changed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, RootModel

from opsbook.records.diagnostics import Diagnostic, display_path
from opsbook.records.summary import RecordFacts
from opsbook.index.scan import (
    CATALOG_NAMES,
    CONFIG_FILE,
    PARALLEL_THRESHOLD,
    FileOutcome,
    FileTask,
    Found,
    discover,
    docs_pages,
    key_of,
    outside_root,
    task_for,
)
from opsbook.records.yaml_loader import Document, Limits, load_file
from opsbook.records.models import Config, Incident, Runbook
from opsbook.records.models.catalog import ClassCatalog, ToolCatalog, WorkflowCatalog
from opsbook.records.models.environment import EnvManifest
from opsbook.support.progress import Progress
from opsbook.records.check_file import check_record_file
from opsbook.records.secrets import scan_text
from opsbook.records.validate import validate_model

if TYPE_CHECKING:
    from opsbook.index.cache import Cache
    from opsbook.checks.cross_record import LinkContext, LinkIndex


Model = TypeVar("Model", bound=BaseModel)


@dataclass
class KnowledgeBase:
    root: Path
    config: Config
    outcomes: list[FileOutcome]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """Findings in opsbook.yml, the catalog and the docs pages."""
    index_diagnostics: list[Diagnostic] = field(default_factory=list)
    """Findings about the knowledge base as a whole (class coverage, deprecation cycles)."""
    found: list[Found] = field(default_factory=list)
    link_context: LinkContext | None = None
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
        from opsbook.checks.cross_record import build_graph

        return build_graph(self.facts, self.workflow_ids)

    @property
    def workflow_ids(self) -> list[str]:
        return [w.id for w in self.workflows.workflows] if self.workflows else []

    @cached_property
    def runbooks(self) -> dict[str, Runbook]:
        return {o.record.id: o.record for o in self.outcomes if isinstance(o.record, Runbook)}

    @cached_property
    def incidents(self) -> dict[str, Incident]:
        return {o.record.id: o.record for o in self.outcomes if isinstance(o.record, Incident)}

    @property
    def all_diagnostics(self) -> list[Diagnostic]:
        per_file = [d for o in self.outcomes for d in (*o.diagnostics, *o.links)]
        return per_file + self.diagnostics + self.index_diagnostics

    @property
    def files_checked(self) -> int:
        return len(self.outcomes) + sum(1 for _ in self.catalog_files())

    def catalog_files(self) -> Iterable[Path]:
        catalog = self.root / self.config.paths.catalog
        return (catalog / name for name in CATALOG_FILES if (catalog / name).is_file())


CATALOG_FILES: dict[str, type[BaseModel]] = dict(
    zip(CATALOG_NAMES, (WorkflowCatalog, ToolCatalog, ClassCatalog, EnvManifest), strict=True)
)


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


def load_knowledge_base(
    root: Path,
    *,
    keep_records: bool = True,
    jobs: int | None = None,
    cache: Cache | None = None,
    progress: Progress | None = None,
) -> KnowledgeBase:
    from opsbook.checks.cross_record import LinkContext, graph_diagnostics

    config, config_diagnostics = load_config(root)
    found_files = discover(root, config.paths.runbooks, config.paths.incidents)
    use_cache = cache is not None and not keep_records
    if cache is not None and use_cache:
        cache.load_facts()  # when they cannot be read, every file is simply checked again
    tasks: list[FileTask] = []
    outcomes: dict[str, FileOutcome] = {}
    for found in found_files:
        max_bytes = config.limits.max_file_bytes
        key = key_of(found, max_bytes)
        outcome = outside_root(found, root)
        if outcome is not None:
            outcomes[found.display] = outcome
            if cache is not None and use_cache:
                cache.forget(key)
            continue
        entry = cache.lookup(key, found, max_bytes) if cache is not None and use_cache else None
        if cache is not None and entry is not None:
            outcomes[found.display] = cache.outcome(key, entry)
        else:
            tasks.append(task_for(found, max_bytes, keep_record=keep_records))
    for outcome in check_files(tasks, jobs, progress):
        outcomes[outcome.path] = outcome
        if cache is not None and use_cache:
            cache.store(outcome)
    kb = KnowledgeBase(root, config, [outcomes[f.display] for f in found_files], list(config_diagnostics))
    kb.found = found_files
    _load_catalog(kb)
    kb.diagnostics.extend(_scan_docs(root / config.paths.docs))
    kb.link_context = LinkContext.of(kb)
    kb.index_diagnostics = graph_diagnostics(kb, kb.link_context)
    return kb


def _scan_docs(folder: Path) -> list[Diagnostic]:
    """Hand-written pages are published too: a credential pasted into one is as bad as in a record."""
    found: list[Diagnostic] = []
    for path in docs_pages(folder):
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


def check_files(tasks: list[FileTask], jobs: int | None, progress: Progress | None) -> Iterable[FileOutcome]:
    """Check each file, on a process pool when there are many."""
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    total = len(tasks)
    if workers <= 1 or total < PARALLEL_THRESHOLD:
        results: Iterable[FileOutcome] = map(check_record_file, tasks)
        yield from _counted(results, total, progress)
        return
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    chunk = max(16, total // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        yield from _counted(pool.map(check_record_file, tasks, chunksize=chunk), total, progress)


def _counted(results: Iterable[Any], total: int, progress: Progress | None) -> Iterable[FileOutcome]:
    for done, outcome in enumerate(results, 1):
        if progress is not None:
            progress(done, total)
        yield outcome
