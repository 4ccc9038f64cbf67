"""Walking a runbook: each step on screen, each answer in the audit log, the events in the incident.

Every answer is in the log, fsynced, before the next question; the incident is brought up to date from
the log when the walk ends, when it is interrupted, and when it is resumed. Approval gates: a step with
`sensitive: true` or `requires_approval` cannot be marked done or have its command run until someone
other than the actor is named as its approver and confirmed at an interactive terminal, in this
session. Nothing in the runbook, the environment or the command line can stand in for that.
"""

from __future__ import annotations

import contextlib
import difflib
import getpass
import hashlib
import os
import signal
import socket
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from opsbook import __version__
from opsbook.features.walk.incident_file import IncidentWriteError, add_walk_events
from opsbook.features.walk.log import WALK_ID, WalkLog, WalkLogError, new_walk_id, read_log, utc_now, walks_folder
from opsbook.features.walk.screen import Console, EndOfInput
from opsbook.features.walk.shell import run_command, shell, why_not_runnable
from opsbook.features.walk.state import OUTCOMES, WalkState
from opsbook.features.walk.steps import WalkStep, snapshot
from opsbook.features.walk.timeline import exit_text, runbook_use, timeline_entries
from opsbook.index.knowledge import KnowledgeIndex
from opsbook.records.models import Executor, Helped
from opsbook.records.secret_patterns import mask_secrets
from opsbook.support.atomic import WouldOverwrite

EXIT_INTERRUPTED = 130
NOTE_CHARS = 2000
HELPED = {"y": Helped.YES, "p": Helped.PARTLY, "n": Helped.NO, "w": Helped.WRONG_RUNBOOK}


class WalkError(Exception):
    """A walk that cannot begin: unknown runbook, incident or walk, or conflicting choices."""


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    kind: str
    """`person` or `agent`."""


def start_walk(
    root: Path,
    runbook_id: str,
    *,
    incident_id: str | None,
    new_incident_title: str | None,
    actor: Actor,
    run: bool,
    timeout: int,
    console: Console,
) -> int:
    """Walk runbook `runbook_id` from its first step; returns the exit code."""
    with KnowledgeIndex.open(root) as index:
        runbook_path = index.record_path("runbook", runbook_id)
        if runbook_path is None:
            known = [Path(path).stem for path in index.record_paths("runbook")]
            close = difflib.get_close_matches(runbook_id, known, n=1)
            raise WalkError(f"no runbook {runbook_id!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        runbook = index.runbooks([runbook_path]).get(runbook_path)
        if runbook is None:
            raise WalkError(f"runbook {runbook_id!r} has errors; see `opsbook check {runbook_path}`")
        incident_path = index.record_path("incident", incident_id) if incident_id else None
        if incident_id and incident_path is None:
            raise WalkError(f"no incident {incident_id!r}; `--new-incident TITLE` creates one")
    if new_incident_title is not None:
        from opsbook.features.scaffold import ScaffoldError, new_incident  # checks records: slow to import

        try:
            created = new_incident(root, new_incident_title, runbook.failure_class.value, "SEV3", None)
        except ScaffoldError as error:
            raise WalkError(str(error)) from None
        except WouldOverwrite as exists:
            raise WalkError(f"{exists} already exists; pass its id with --incident instead") from None
        incident_id, incident_path = created.stem, created.relative_to(root).as_posix()
        console.say(f"Created incident {incident_id} ({incident_path})")
    start = {
        "runbook": runbook.id,
        "title": runbook.title,
        "status": runbook.status.value,
        "replaced_by": runbook.replaced_by,
        "runbook_path": runbook_path,
        "runbook_sha256": hashlib.sha256((root / runbook_path).read_bytes()).hexdigest(),
        "incident": incident_id,
        "incident_path": incident_path,
        "run": run,
        "timeout": timeout,
        "steps": snapshot(runbook),
        "opsbook": __version__,
        "host": socket.gethostname(),
        "cwd": os.getcwd(),
    }
    log = WalkLog.create(walks_folder(root), new_walk_id(utc_now()))
    try:
        walk = Walk(root, log, actor, console)
        walk.record("start", **start)
        return walk.go()
    finally:
        log.close()


def resume_walk(root: Path, walk_id: str | None, *, actor: Actor | None, console: Console) -> int:
    """Continue walk `walk_id`, or the last unfinished walk of the knowledge base; returns the exit code."""
    path = _walk_to_resume(walks_folder(root), walk_id)
    log, torn = WalkLog.open(path)
    try:
        state = WalkState.of(log.records, path)
        last = log.records[-1]
        walk = Walk(root, log, actor or Actor(last["actor"], last["actor_kind"]), console)
        if state.complete:
            console.say(f"Walk {log.walk_id} is finished and its incident holds all of it; nothing to do.")
            return 0
        walk.record("resume", discarded_bytes=torn)
        if torn:
            console.say(f"Dropped {torn} bytes of a record that the interruption left half written.", "dim")
        return walk.go(resumed=True)
    finally:
        log.close()


def _walk_to_resume(folder: Path, walk_id: str | None) -> Path:
    if walk_id is not None:
        if not WALK_ID.match(walk_id):
            raise WalkError(f"{walk_id!r} is not a walk id (they look like 20261125-101503-a3f2)")
        path = folder / f"{walk_id}.jsonl"
        if not path.exists():
            raise WalkError(f"no walk {walk_id} in this knowledge base ({folder})")
        return path
    unfinished: list[tuple[str, Path]] = []
    for path in folder.glob("*.jsonl") if folder.is_dir() else []:
        with contextlib.suppress(WalkLogError):
            state = WalkState.of(read_log(path), path)
            if not state.complete:
                unfinished.append((state.start["time"], path))
    if not unfinished:
        raise WalkError(f"no unfinished walk in this knowledge base ({folder})")
    return max(unfinished)[1]


@dataclass
class Walk:
    root: Path
    log: WalkLog
    actor: Actor
    console: Console
    approvals: dict[str, str] = field(default_factory=dict)
    """Approvers given in this session, by step key; a resumed walk asks again."""

    @cached_property
    def state(self) -> WalkState:
        return WalkState(self.log.records)  # the log's own list: it sees every record appended later

    def record(self, event: str, **fields: Any) -> dict[str, Any]:
        runbook = fields.pop("runbook", None) or self.state.start["runbook"]
        return self.log.append(event, actor=self.actor.name, actor_kind=self.actor.kind, runbook=runbook, **fields)

    # --- the walk ----------------------------------------------------------------------------------------

    def go(self, *, resumed: bool = False) -> int:
        with _signals_interrupt():
            try:
                self._introduce(resumed)
                if resumed:
                    self._catch_up()
                while (step := self.state.next_step) is not None:
                    self._walk_step(step)
                if self.state.ended is None:
                    self._ask_helped()
            except KeyboardInterrupt:
                return self._pause("interrupted", EXIT_INTERRUPTED)
            except EndOfInput:
                return self._pause("end of input", 1)
        return self._finish()

    def _introduce(self, resumed: bool) -> None:
        start, say = self.state.start, self.console.say
        say(f"Runbook {start['runbook']}: {start['title']}", "title")
        if start["status"] != "active":
            replaced = f"; use {start['replaced_by']} instead" if start.get("replaced_by") else ""
            say(f"This runbook is {start['status']}{replaced}.", "warn")
        into = f", into incident {start['incident']}" if start["incident"] else " (no incident: only the log)"
        say(f"Walk {self.log.walk_id} by {self.actor.name} ({self.actor.kind}){into}")
        if start["run"]:
            say(f"Commands run only after you confirm, in {shell()}, with a {start['timeout']} s timeout.")
        else:
            say("Commands are shown, not run (walk with --run to run them after a confirmation).")
        say("Audit log:", "dim")
        say(str(self.log.path), "dim")
        say("Answer each step d (done), f (failed) or s (skipped). Ctrl-C saves and stops;", "dim")
        say(f"`opsbook walk --resume {self.log.walk_id}` continues.", "dim")
        step = self.state.next_step
        if resumed and step is not None:
            answered = sum(1 for r in self.log.records if r["event"] == "outcome")
            say(f"Resuming at {step.title} ({answered} of {len(self.state.steps)} steps answered).", "warn")

    def _walk_step(self, step: WalkStep) -> None:
        self._show(step)
        self._show_earlier_runs(step)
        if step.step.needs_approval and self.console.interactive:
            self._approve(step)
        if self.state.start["run"] and step.step.command:
            self._offer_run(step)
        outcome = self._ask_outcome(step)
        note = self._ask_note("Note (optional, Enter for none): ")
        runs = [r for r in self.state.runs(step.key) if r["event"] == "run-end"]
        self.record(
            "outcome",
            step=step.key,
            outcome=outcome,
            note=note,
            approver=self.approvals.get(step.key),
            command_sha256=step.command_sha256,
            exit_code=runs[-1]["exit_code"] if runs else None,
        )

    def _show(self, step: WalkStep) -> None:
        console, details = self.console, step.step
        console.say()
        console.rule(step.title)
        console.prose(details.action)
        for item in step.checklist:
            console.prose(item, label="  -")
        if details.command:
            console.say()
            console.command(details.command)
            console.say()
        if details.expected:
            console.prose(details.expected, label="You should see:")
        if details.on_unexpected:
            console.prose(details.on_unexpected, label="If not:")
        if details.rollback:
            console.prose(details.rollback, label="To undo:")
        if details.needs_approval:
            approver = details.requires_approval or "an approver"
            console.prose(
                f"{approver} must approve this step before it is carried out.", label="Approval:", style="warn"
            )
        if details.executor is not Executor.EITHER:
            console.prose(f"a {details.executor.value} carries it out.", label="Executor:")

    def _show_earlier_runs(self, step: WalkStep) -> None:
        """After a resume: what the command did before the interruption (it is never run again unasked)."""
        runs = self.state.runs(step.key)
        if runs and runs[-1]["event"] == "run-start":
            self.console.prose(
                f"This command was started at {runs[-1]['time']} and the walk stopped before its result was "
                "recorded. Check what it did before running it again.",
                style="warn",
            )
        elif runs:
            self.console.say(f"Ran at {runs[-1]['time']}: {exit_text(runs[-1])}.", "warn")
            self._show_output(runs[-1]["output"])

    def _approve(self, step: WalkStep, why: str = "") -> bool:
        """Whether the step has an approver in this session; asks for one at an interactive terminal."""
        if step.key in self.approvals:
            return True
        say = self.console.say
        if not self.console.interactive:
            say("An approval is entered by a person at an interactive terminal, not from piped input.", "warn")
            return False
        name = self.console.ask(f"{why}Who approved it? Their name, or Enter if nobody has yet: ")
        if not name:
            return False
        if name.casefold() == self.actor.name.casefold():
            say("Nobody approves their own step: name the person who approved it.", "bad")
            return False
        what = "this step and its command" if step.step.command else "this step"
        if self.console.ask(f"Did {name} approve exactly {what}? [y/N] ").lower() not in ("y", "yes"):
            say("Not approved.", "bad")
            return False
        self.approvals[step.key] = name[:120]
        self.record(
            "approval",
            step=step.key,
            approver=self.approvals[step.key],
            approves_as=step.step.requires_approval,
            command_sha256=step.command_sha256,
        )
        return True

    def _offer_run(self, step: WalkStep) -> None:
        command = step.step.command
        assert command is not None
        reason = why_not_runnable(command)
        if reason is None and step.step.executor is Executor.HUMAN and self.actor.kind == "agent":
            reason = "the step is carried out by a human (executor: human)"
        if reason is not None:
            self.console.say(f"Not run: {reason}.", "dim")
            return
        if step.step.needs_approval and not self._approve(step, "Running it needs an approval. "):
            self.console.say("Not run: the step needs an approval first.", "warn")
            return
        again = bool(self.state.runs(step.key))
        if self.console.ask(f"Run it {'again' if again else 'now'}? [y/N] ").lower() not in ("y", "yes"):
            return
        digest = step.command_sha256
        self.record("run-start", step=step.key, command_sha256=digest, shell=shell(), cwd=os.getcwd())
        result = run_command(command, self.state.start["timeout"])
        run = self.record("run-end", step=step.key, command_sha256=digest, **asdict(result))
        self.console.say(f"Finished: {exit_text(run)}.", "good" if result.exit_code == 0 else "bad")
        self._show_output(result.output)
        if result.interrupted:
            raise KeyboardInterrupt

    def _show_output(self, output: str) -> None:
        for line in output.splitlines() or ["(no output)"]:
            self.console.say(f"  | {line}", "dim")

    def _ask_outcome(self, step: WalkStep) -> str:
        human_only = step.step.executor is Executor.HUMAN and self.actor.kind == "agent"
        while True:
            answer = self.console.ask("Outcome: [d]one, [f]ailed or [s]kipped? ").lower()
            outcome = next((name for name in OUTCOMES if answer and name.startswith(answer)), None)
            if outcome is None:
                self.console.say("Answer d, f or s.")
                continue
            if outcome == "done" and human_only:
                self.console.say("A human carries out this step (executor: human): answer failed or skipped.", "bad")
                continue
            if outcome == "done" and step.step.needs_approval and not self._approve(step, "Done needs an approval. "):
                self.console.say("Not done without an approval: answer failed or skipped, with a note.", "bad")
                continue
            return outcome

    def _ask_note(self, prompt: str) -> str | None:
        note = mask_secrets(self.console.ask(prompt))[:NOTE_CHARS].strip()
        return note or None

    def _ask_helped(self) -> None:
        counts = self.state.counts()
        self.console.say()
        self.console.rule("End of the runbook")
        self.console.say(", ".join(f"{counts[name]} {name}" for name in OUTCOMES) + ".")
        while True:
            answer = self.console.ask("Did the runbook help? [y]es, [p]artly, [n]o, or [w]rong runbook: ").lower()
            helped = HELPED.get(answer[:1]) if answer else None
            if helped is not None:
                break
            self.console.say("Answer y, p, n or w.")
        note = self._ask_note("What would have made it better? (optional): ")
        self.record("end", helped=helped.value, note=note)

    # --- saving ------------------------------------------------------------------------------------------

    def _pause(self, reason: str, code: int) -> int:
        step = self.state.next_step
        self.record("pause", reason=reason, next_step=step.key if step else None)
        self.console.say()
        with contextlib.suppress(IncidentWriteError):
            self._bring_incident_up_to_date()
        self.console.say(f"Saved. Continue with: opsbook walk --resume {self.log.walk_id}", "warn")
        return code

    def _catch_up(self) -> None:
        """On a resume: the incident gets what the walk recorded before it stopped."""
        try:
            self._bring_incident_up_to_date()
        except IncidentWriteError as error:
            self.console.say(f"Not written yet: {error}; the walk tries again when it ends.", "warn")

    def _finish(self) -> int:
        try:
            added = self._bring_incident_up_to_date()
        except IncidentWriteError as error:
            self.console.say(f"opsbook walk: {error}", "bad")
            self.console.say(
                f"The walk is saved in its log; fix the file, then `opsbook walk --resume {self.log.walk_id}` "
                "adds its events.",
                "bad",
            )
            return 1
        incident = self.state.start["incident_path"]
        if incident and added:
            self.console.say(f"Added {added} timeline events and a runbooks_used entry to {incident}.", "good")
        elif incident:
            self.console.say(f"{incident} already holds the walk's timeline events and runbooks_used entry.")
        self.console.say("Audit log:")
        self.console.say(str(self.log.path))
        return 0

    def _bring_incident_up_to_date(self) -> int:
        """Add to the incident the walk's events it does not hold yet; returns how many were added."""
        state = self.state
        if state.start["incident_path"] is None:
            return 0
        entries = timeline_entries(state)
        added = add_walk_events(self.root / state.start["incident_path"], state.walk_id, entries, runbook_use(state))
        final = state.ended is not None
        if added or (final and not state.complete):
            self.record("recorded", incident=state.start["incident"], added=added, events=len(entries), final=final)
        return added


def default_actor() -> Actor:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor(name, "person")


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """A lost terminal (SIGHUP) or a polite kill (SIGTERM) stops the walk like Ctrl-C: saved, resumable."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    saved = {}
    with contextlib.suppress(ValueError):  # not the main thread: leave the handlers alone
        for signum in (signal.SIGHUP, signal.SIGTERM):
            saved[signum] = signal.signal(signum, interrupt)
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
