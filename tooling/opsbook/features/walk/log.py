"""The audit log of a walk: one JSON object per line, appended, flushed and fsynced event by event.

Where it lives: in the user's state folder (`$OPSBOOK_WALK_DIR`, else `$XDG_STATE_HOME/opsbook/walks`,
else `~/.local/state/opsbook/walks`), one folder per knowledge base (named like its index folder), one
file per walk (`<walk id>.jsonl`), readable by the user only. The README says why there.

Every record has `seq` (1, 2, …), `time` (UTC), `walk` and `event`. A walk holds an exclusive lock on
its log while it runs, so two processes never append to one walk. A `kill -9` can leave at most one
record half written, at the end: opening the log for a resume cuts that torn tail off (it was never
complete, so nothing it described had been confirmed) and reports how many bytes it dropped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any

from opsbook.index.location import folder_name

FOLDER_VARIABLE = "OPSBOOK_WALK_DIR"
WALK_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")
Record = dict[str, Any]


class WalkLogError(Exception):
    """A walk log that cannot be used: missing, damaged, or in use by another process."""


def walks_folder(root: Path) -> Path:
    """Where the walk logs of the knowledge base at `root` are kept."""
    explicit = os.environ.get(FOLDER_VARIABLE)
    if explicit:
        base = Path(explicit)
    else:
        state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
        base = Path(state) / "opsbook" / "walks"
    return base / folder_name(root)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_walk_id(moment: dt.datetime) -> str:
    """The start time to the second and four random hex digits: sorts by start, never collides in practice."""
    return f"{moment.astimezone(dt.UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


class WalkLog:
    """An open walk log: its complete records so far, and the locked descriptor new records go to."""

    def __init__(self, path: Path, descriptor: int, records: list[Record]) -> None:
        self.path = path
        self.walk_id = path.stem
        self.records = records
        self._descriptor = descriptor

    @classmethod
    def create(cls, folder: Path, walk_id: str) -> WalkLog:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"{walk_id}.jsonl"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
        descriptor = os.open(path, flags, 0o600)
        try:
            _lock(descriptor, path)
        except BaseException:
            os.close(descriptor)
            raise
        _sync_folder(folder)
        return cls(path, descriptor, [])

    @classmethod
    def open(cls, path: Path) -> tuple[WalkLog, int]:
        """The log at `path`, locked for appending, and how many bytes of a torn last record were cut off."""
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            raise WalkLogError(f"{path}: no such walk log") from None
        except OSError as error:
            raise WalkLogError(f"{path}: cannot open the walk log ({error.strerror})") from None
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise WalkLogError(f"{path}: not a regular file")
            _lock(descriptor, path)
            records, complete = parse(path, _read_all(descriptor))
            torn = os.fstat(descriptor).st_size - complete
            if torn:
                os.ftruncate(descriptor, complete)
                os.fsync(descriptor)
        except BaseException:
            os.close(descriptor)
            raise
        return cls(path, descriptor, records), torn

    def append(self, event: str, **fields: Any) -> Record:
        """Add one record and make it durable before returning it."""
        record: Record = {
            "seq": len(self.records) + 1,
            "time": utc_text(utc_now()),
            "walk": self.walk_id,
            "event": event,
            **fields,
        }
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        data = memoryview(line.encode("utf-8"))
        while data:
            data = data[os.write(self._descriptor, data) :]
        os.fsync(self._descriptor)
        self.records.append(record)
        return record

    def close(self) -> None:
        if self._descriptor >= 0:
            os.close(self._descriptor)  # releases the lock
            self._descriptor = -1


def read_log(path: Path) -> list[Record]:
    """The complete records of a log, without locking it (for listing walks)."""
    with open(path, "rb") as handle:
        records, _ = parse(path, handle.read())
    return records


def parse(path: Path, content: bytes) -> tuple[list[Record], int]:
    """The records of a log's bytes and the length of the complete part (everything up to the last newline)."""
    complete = content.rfind(b"\n") + 1
    records: list[Record] = []
    for number, line in enumerate(content[:complete].split(b"\n")[:-1], 1):
        try:
            record = json.loads(line)
        except ValueError:
            raise WalkLogError(f"{path}:{number}: damaged record (not JSON); the log cannot be resumed") from None
        if not isinstance(record, dict) or record.get("seq") != number or "event" not in record:
            raise WalkLogError(f"{path}:{number}: damaged record (expected seq {number}); the log cannot be resumed")
        records.append(record)
    return records, complete


def _read_all(descriptor: int) -> bytes:
    chunks = []
    offset = 0
    while chunk := os.pread(descriptor, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _lock(descriptor: int, path: Path) -> None:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise WalkLogError(f"walk {path.stem} is running in another opsbook process; stop that one first") from None


def _sync_folder(folder: Path) -> None:
    """Make a new file's name durable too, not only its content."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
