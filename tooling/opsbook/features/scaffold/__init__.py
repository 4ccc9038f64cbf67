"""`opsbook new` and `opsbook init`: records and knowledge bases from templates that pass `check`."""

from __future__ import annotations

import datetime as dt
import os
import re
from importlib import resources
from pathlib import Path

import yaml
from jinja2 import Environment, StrictUndefined

from opsbook.records.check_file import read_config
from opsbook.records.ids import SLUG, SLUG_MAX_LENGTH
from opsbook.records.schema import schema_documents
from opsbook.support.atomic import write_text
from opsbook.support.clock import today

RUNBOOK_ID = re.compile(f"^{SLUG}$")


class ScaffoldError(ValueError):
    """The request cannot produce a valid record (bad id, bad date)."""


def _environment() -> Environment:
    environment = Environment(loader=None, undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    environment.filters["yaml_str"] = yaml_string
    return environment


def yaml_string(value: object) -> str:
    """A YAML double-quoted scalar that reads back as `value`: characters YAML does not allow in a file
    (DEL, C1 controls, lone surrogates) and line breaks are written as escapes by YAML's own emitter."""
    emitted = yaml.dump(str(value), Dumper=yaml.SafeDumper, default_style='"', allow_unicode=True, width=1 << 20)
    return emitted.removesuffix("...\n").rstrip("\n")


def _render(template: str, **values: object) -> str:
    source = resources.files(__name__).joinpath("templates", template).read_text(encoding="utf-8")
    return _environment().from_string(source).render(**values)


def slugify(text: str) -> str:
    """An id from a title, in ASCII: accents dropped (`Café` → `cafe`), other scripts transliterated
    (`Сбой оплаты` → `sboi-oplaty`), at most 60 characters, cut at a word."""
    from slugify import slugify as python_slugify

    return str(python_slugify(text, max_length=60, word_boundary=True, save_order=True))


def _schema_path(record: Path, root: Path) -> str:
    return Path(os.path.relpath(root / "schema", record.parent)).as_posix()


def new_runbook(
    root: Path, failure_class: str, record_id: str, *, title: str | None, owner: str, force: bool = False
) -> Path:
    if not RUNBOOK_ID.match(record_id) or len(record_id) > SLUG_MAX_LENGTH:
        raise ScaffoldError(
            f"id {record_id!r} must be lower-case words joined by hyphens (at most {SLUG_MAX_LENGTH} characters)"
        )
    config = read_config(root)
    path = root / config.paths.runbooks / failure_class / f"{record_id}.yaml"
    text = _render(
        "runbook.yaml.j2",
        id=record_id,
        title=title or record_id.replace("-", " ").capitalize(),
        failure_class=failure_class,
        owner=owner,
        today=today().isoformat(),
        schema_path=_schema_path(path, root),
    )
    write_text(path, text, force=force)
    return path


def new_incident(
    root: Path, title: str, failure_class: str, severity: str, started: str | None, *, force: bool = False
) -> Path:
    try:
        day = dt.date.fromisoformat(started) if started else today()
    except ValueError:
        raise ScaffoldError(f"--date {started!r} is not a date like 2026-11-03") from None
    slug = slugify(title)
    if not slug:
        raise ScaffoldError("the title needs at least one letter or digit to make an id from")
    record_id = f"{day.isoformat()}-{slug}"
    config = read_config(root)
    path = root / config.paths.incidents / f"{day.year:04d}" / f"{record_id}.yaml"
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    moment = dt.datetime.combine(day, now.time(), tzinfo=dt.UTC)
    text = _render(
        "incident.yaml.j2",
        id=record_id,
        title=title,
        failure_class=failure_class,
        severity=severity,
        now=moment.isoformat().replace("+00:00", "Z"),
        schema_path=_schema_path(path, root),
    )
    write_text(path, text, force=force)
    return path


def init_knowledge_base(directory: Path, name: str, *, force: bool = False) -> list[Path]:
    """Write config, mkdocs.yml, schemas and the starter knowledge base; returns the files written."""
    files: dict[str, str] = {
        "opsbook.yml": _render("opsbook.yml.j2", name=name, schema_path="schema"),
        "mkdocs.yml": _render("mkdocs.yml.j2", name=name),
    }
    files.update({f"schema/{file}": text for file, text in schema_documents().items()})
    starter = resources.files(__name__).joinpath("starter")
    for relative in _walk(starter):
        files[relative] = starter.joinpath(*relative.split("/")).read_text(encoding="utf-8")
    written = []
    for relative, text in sorted(files.items()):
        path = directory / relative
        write_text(path, text, force=force)
        written.append(path)
    return written


def _walk(folder: resources.abc.Traversable, prefix: str = "") -> list[str]:
    found = []
    for entry in folder.iterdir():
        if entry.is_dir():
            found.extend(_walk(entry, f"{prefix}{entry.name}/"))
        elif entry.name.endswith((".yaml", ".md")):
            found.append(f"{prefix}{entry.name}")
    return found
