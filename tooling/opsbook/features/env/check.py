"""`opsbook env check`: one environment manifest against real environments and the source code.

Findings (each located, values never printed): required variables missing or empty, variables set in
some environments only, variables the manifest does not know, values that must differ but are equal
(by digest), values in the wrong format (a test key in production), server-only variables reachable
from client code, variables the code reads that the manifest does not declare, and a checkout linked to
the wrong project.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from opsbook.features.env.listing import Listing, read
from opsbook.records.diagnostics import Diagnostic, Level, display_path
from opsbook.records.models.environment import EnvManifest, Variable
from opsbook.records.yaml_loader import Document

SOURCE_SUFFIXES = {
    ".js",
    ".jsx",
    ".ts",
    ".tsx",
    ".mjs",
    ".cjs",
    ".mts",
    ".cts",
    ".vue",
    ".svelte",
    ".astro",
    ".py",
}
SKIPPED_FOLDERS = {
    "node_modules",
    ".next",
    ".git",
    "dist",
    "build",
    ".venv",
    "venv",
    "__pycache__",
    ".vercel",
    ".turbo",
    ".output",
    ".svelte-kit",
    "coverage",
}
REFERENCE = re.compile(
    r"""process\.env\.([A-Za-z_]\w*)
      | process\.env\[\s*["']([A-Za-z_]\w*)["']\s*\]
      | import\.meta\.env\.([A-Za-z_]\w*)
      | os\.environ\[\s*["']([A-Za-z_]\w*)["']\s*\]
      | os\.environ\.get\(\s*["']([A-Za-z_]\w*)["']
      | os\.getenv\(\s*["']([A-Za-z_]\w*)["']
      | Deno\.env\.get\(\s*["']([A-Za-z_]\w*)["']\s*\)""",
    re.VERBOSE,
)
USE_CLIENT = re.compile(r"""\A(?:\s|//[^\n]*\n|/\*.*?\*/)*["']use client["']""", re.DOTALL)
BUILT_IN = {"NODE_ENV", "CI", "HOME", "PATH", "PWD", "SHELL", "USER", "TZ", "LANG"}


@dataclass(frozen=True, slots=True)
class Reference:
    name: str
    path: str
    line: int
    col: int
    client: bool


def _diagnostic(
    path: str,
    line: int,
    col: int,
    code: str,
    message: str,
    hint: str | None = None,
    level: Level = Level.ERROR,
) -> Diagnostic:
    return Diagnostic(path, line, col, code, message, level=level, hint=hint)


class EnvCheck:
    def __init__(self, manifest: EnvManifest, document: Document) -> None:
        self.manifest = manifest
        self.document = document
        self.variables = {v.name: v for v in manifest.variables}
        self.environments = [e.id for e in manifest.environments]

    def _at_variable(self, variable: Variable) -> tuple[int, int]:
        index = self.manifest.variables.index(variable)
        return self.document.locate(("variables", index, "name"), value=True)

    def _ignored(self, name: str) -> bool:
        return name in BUILT_IN or any(fnmatch.fnmatchcase(name, pattern) for pattern in self.manifest.ignore)

    def patterns(self) -> tuple[str, ...]:
        return tuple(sorted({f.pattern for v in self.manifest.variables for f in v.formats}))

    def environments_check(self, listings: dict[str, Listing]) -> Iterator[Diagnostic]:
        for listing in listings.values():
            for line, problem in listing.problems:
                yield _diagnostic(listing.source, line, 1, "bad-value", problem)
        yield from self._presence(listings)
        yield from self._unknown(listings)
        yield from self._must_differ(listings)
        yield from self._formats(listings)

    def _presence(self, listings: dict[str, Listing]) -> Iterator[Diagnostic]:
        manifest_path = self.document.path
        for variable in self.manifest.variables:
            line, col = self._at_variable(variable)
            required = [e for e in listings if e in variable.required_in]
            present = [
                e
                for e, listing in listings.items()
                if variable.name in listing.entries and not listing.entries[variable.name].empty
            ]
            for environment in required:
                listing = listings[environment]
                entry = listing.entries.get(variable.name)
                if entry is not None and entry.empty:
                    yield _diagnostic(
                        listing.source,
                        entry.line,
                        1,
                        "env-missing",
                        f"{variable.name} is required in {environment} but its value is empty",
                        hint=self._hint(variable),
                    )
                elif entry is None and present:
                    yield _diagnostic(
                        manifest_path,
                        line,
                        col,
                        "env-only-in",
                        f"{variable.name} is set in {', '.join(present)} but missing in {environment} "
                        f"({listing.source})",
                        hint=self._hint(variable),
                    )
                elif entry is None:
                    yield _diagnostic(
                        manifest_path,
                        line,
                        col,
                        "env-missing",
                        f"{variable.name} is required in {environment} but missing from {listing.source}",
                        hint=self._hint(variable),
                    )

    def _hint(self, variable: Variable) -> str:
        where = f"; runbook: {variable.runbook}" if variable.runbook else ""
        return f"owner: {variable.owner}{where}"

    def _unknown(self, listings: dict[str, Listing]) -> Iterator[Diagnostic]:
        prefixes = tuple(self.manifest.client_prefixes)
        for environment, listing in listings.items():
            for name, entry in listing.entries.items():
                if name in self.variables or self._ignored(name):
                    continue
                bare = _strip_prefix(name, prefixes)
                if bare != name and bare in self.variables and self.variables[bare].server_only:
                    yield _diagnostic(
                        listing.source,
                        entry.line,
                        1,
                        "env-client-exposed",
                        f"{name} puts the server-only {bare} behind a public prefix in {environment}: "
                        "the build inlines it into the client bundle",
                        hint="delete this variable and rotate the key it held",
                    )
                    continue
                if listing.source == "(process environment)":
                    continue
                yield _diagnostic(
                    listing.source,
                    entry.line,
                    1,
                    "env-unknown",
                    f"{name} is set in {environment} but not declared in the manifest",
                    hint="declare it (with owner and environments) or remove it",
                    level=Level.WARNING,
                )

    def _must_differ(self, listings: dict[str, Listing]) -> Iterator[Diagnostic]:
        for variable in self.manifest.variables:
            if not variable.must_differ:
                continue
            seen: dict[str, str] = {}
            for environment, listing in listings.items():
                entry = listing.entries.get(variable.name)
                if entry is None or entry.digest is None or entry.empty:
                    continue
                if entry.digest in seen:
                    yield _diagnostic(
                        listing.source,
                        entry.line,
                        1,
                        "env-must-differ",
                        f"{variable.name} has the same value in {seen[entry.digest]} and "
                        f"{environment}; the manifest says they must differ",
                        hint="compared by SHA-256 digest; the values are not shown",
                    )
                else:
                    seen[entry.digest] = environment

    def _formats(self, listings: dict[str, Listing]) -> Iterator[Diagnostic]:
        for variable in self.manifest.variables:
            for environment, listing in listings.items():
                entry = listing.entries.get(variable.name)
                if entry is None or entry.digest is None or entry.empty:
                    continue
                for value_format in variable.formats:
                    if environment in value_format.environments and value_format.pattern not in entry.value_matches:
                        yield _diagnostic(
                            listing.source,
                            entry.line,
                            1,
                            "env-format",
                            f"{variable.name} in {environment} is not a {value_format.description} "
                            f"(expected to match {value_format.pattern!r})",
                            hint=self._hint(variable),
                        )

    def source_check(self, source: Path) -> Iterator[Diagnostic]:
        references = list(scan_source(source, self.manifest.client_paths))
        prefixes = tuple(self.manifest.client_prefixes)
        server_only = {name for name, v in self.variables.items() if v.server_only}
        for variable in self.manifest.variables:
            if variable.server_only and variable.name.startswith(prefixes):
                line, col = self._at_variable(variable)
                yield _diagnostic(
                    self.document.path,
                    line,
                    col,
                    "env-client-exposed",
                    f"{variable.name} is server-only but its public prefix inlines it into the client bundle",
                    hint="rename it without the public prefix and rotate the value",
                )
        reported: set[tuple[str, str, int]] = set()
        for reference in references:
            key = (reference.name, reference.path, reference.line)
            if key in reported:
                continue
            reported.add(key)
            bare = _strip_prefix(reference.name, prefixes)
            if bare != reference.name and bare in server_only:
                yield _diagnostic(
                    reference.path,
                    reference.line,
                    reference.col,
                    "env-client-exposed",
                    f"{reference.name} puts the server-only {bare} behind a public prefix: it ships to every browser",
                    hint="use it only in server code, under its own name",
                )
            elif reference.name in server_only and reference.client:
                yield _diagnostic(
                    reference.path,
                    reference.line,
                    reference.col,
                    "env-client-exposed",
                    f"server-only {reference.name} is read in client code",
                    hint="move the call to a server route or server action",
                )
            elif reference.name not in self.variables and not self._ignored(reference.name):
                yield _diagnostic(
                    reference.path,
                    reference.line,
                    reference.col,
                    "env-undeclared-use",
                    f"{reference.name} is read here but not declared in the manifest",
                    hint="declare it with the environments that need it",
                )

    def project_check(self, observed: str | None, source: str) -> Iterator[Diagnostic]:
        link = self.manifest.project_link
        if link is None or observed is None:
            return
        if observed != link.expected:
            line, col = self.document.locate(("project_link", "expected"), value=True)
            yield _diagnostic(
                source,
                1,
                1,
                "env-project",
                f"this checkout is linked to {observed!r}, not to {link.expected!r} "
                f"(expected at {self.document.path}:{line}:{col})",
                hint="vercel link --project <name>, then check again before deploying",
            )


def _strip_prefix(name: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _source_files(folder: Path) -> Iterator[Path]:
    """Source files below `folder` in the order `os.walk` gives, walked with an explicit stack: no depth of
    nesting can exhaust Python's recursion (os.walk recurses in Python 3.11)."""
    stack = [folder]
    while stack:
        try:
            with os.scandir(stack.pop()) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIPPED_FOLDERS:
                    subfolders.append(Path(entry.path))
            elif Path(entry.name).suffix in SOURCE_SUFFIXES:
                yield Path(entry.path)
        stack.extend(reversed(subfolders))


def scan_source(folder: Path, client_paths: list[str]) -> Iterator[Reference]:
    for path in _source_files(folder):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        relative = path.relative_to(folder).as_posix()
        client = bool(USE_CLIENT.match(text)) or any(fnmatch.fnmatch(relative, p) for p in client_paths)
        display = display_path(path)
        for match in REFERENCE.finditer(text):
            variable = next(group for group in match.groups() if group)
            line = text.count("\n", 0, match.start()) + 1
            col = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            yield Reference(variable, display, line, col, client)


def observed_project(value: str | None, manifest: EnvManifest) -> tuple[str | None, str]:
    """The project id this checkout is linked to: a literal id, or read from the link file."""
    link = manifest.project_link
    candidate = value or (link.file if link else None)
    if candidate is None:
        return None, ""
    path = Path(candidate)
    if not path.is_file():
        return (value, "--project") if value else (None, "")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, display_path(path)
    key = link.key if link else "projectId"
    found = data.get(key) if isinstance(data, dict) else None
    return (str(found) if found is not None else None), display_path(path)


def run_env_check(
    manifest_path: Path, environments: list[tuple[str, str]], source: Path | None, project: str | None
) -> tuple[list[Diagnostic], int]:
    """All findings, and how many inputs were checked. Raises ValueError for a bad command line."""
    from opsbook.records.diagnostics import did_you_mean
    from opsbook.records.model_file import load_located

    manifest, document, diagnostics = load_located(manifest_path, EnvManifest)
    if manifest is None or document is None:
        return diagnostics, 1
    check = EnvCheck(manifest, document)
    listings: dict[str, Listing] = {}
    for name, path in environments:
        if name not in check.environments:
            raise ValueError(
                f"--env {name}=...: the manifest has no environment {name!r}{did_you_mean(name, check.environments)}"
            )
        try:
            listings[name] = read(path, check.patterns())
        except OSError as error:
            raise ValueError(f"--env {name}={path}: {error.strerror or error}") from None
    diagnostics += check.environments_check(listings)
    if source is not None:
        diagnostics += check.source_check(source)
    observed, where = observed_project(project, manifest)
    diagnostics += check.project_check(observed, where or document.path)
    return diagnostics, 1 + len(listings) + (1 if source else 0)
