"""The terminal side of a walk: questions and answers, prose wrapped to the width, commands shown exactly.

A command is printed line by line as written. A line too long for the terminal is broken only where the
shell sees a space between two words (outside quotes, `$(…)`, backticks and comments), with ` \\` at the
end of the broken line: the marker shows the break, and pasting the lines into a shell gives the same
command. A single word longer than the width is left whole for the terminal to wrap; a command with a
here-document is never broken. Colour is used only on a terminal, and never when NO_COLOR is set.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Iterator
from typing import TextIO

from opsbook.features.walk.shell import visible

CONTINUATION_INDENT = "    "
"""Only continuation lines are indented: a command's own lines are printed from the first column, so that
copying them copies exactly what the runbook says, multi-line quoted strings included."""
PROSE_WIDTH = 100
STYLES = {"title": "1", "warn": "1;33", "bad": "31", "good": "32", "dim": "2", "prompt": "1"}


class EndOfInput(Exception):
    """The answers ran out (piped input ended, or the terminal went away)."""


class Console:
    def __init__(self, stdin: TextIO, stdout: TextIO, *, color: bool, width: int) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.color = color
        self.width = max(width, 40)
        self.gone = False

    @classmethod
    def standard(cls) -> Console:
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        return cls(sys.stdin, sys.stdout, color=color, width=shutil.get_terminal_size().columns)

    @property
    def interactive(self) -> bool:
        """Whether answers come from a person at a terminal (approvals are accepted only then)."""
        try:
            return self.stdin.isatty()
        except ValueError:
            return False

    def say(self, text: str = "", style: str | None = None) -> None:
        self._write(self._styled(visible(text), style) + "\n")

    def prose(self, text: str, *, label: str = "", style: str | None = None) -> None:
        """`text` wrapped to the terminal, after `label`; following lines indented under the text."""
        width = min(self.width, PROSE_WIDTH)
        lead = f"{label} " if label else ""
        first = True
        for paragraph in text.strip().split("\n"):
            lines = textwrap.wrap(
                paragraph,
                width,
                initial_indent=lead if first else " " * len(lead),
                subsequent_indent=" " * len(lead),
                break_long_words=False,
                break_on_hyphens=False,
            )
            for line in lines or [""]:
                self.say(line, style)
            first = False

    def command(self, command: str) -> None:
        for line in command_lines(command, self.width):
            self.say(line)

    def rule(self, title: str) -> None:
        line = f"== {title} "
        self.say(line + "=" * max(self.width - len(line), 3) if len(line) < self.width else line, "title")

    def ask(self, prompt: str) -> str:
        self._write(self._styled(prompt, "prompt"))
        try:
            line = self.stdin.readline()
        except OSError:
            line = ""
        if not line:
            self._write("\n")
            raise EndOfInput
        if not self.interactive:
            self._write(visible(line.rstrip("\n")) + "\n")  # piped answers appear in the transcript
        return line.strip()

    def _styled(self, text: str, style: str | None) -> str:
        if not (self.color and style):
            return text
        return f"\x1b[{STYLES[style]}m{text}\x1b[0m"

    def _write(self, text: str) -> None:
        if self.gone:
            return
        try:
            self.stdout.write(text)
            self.stdout.flush()
        except OSError:
            self.gone = True  # the terminal went away; the log and the incident still get everything


def command_lines(command: str, width: int) -> list[str]:
    """The lines to print for `command` in a terminal `width` columns wide (see the module docstring)."""
    breaks = [] if "<<" in command else break_points(command)
    printed: list[str] = []
    offset = 0
    for line in command.split("\n"):
        here = [point - offset for point in breaks if offset < point < offset + len(line)]
        offset += len(line) + 1
        start, indent = 0, ""
        while len(indent) + len(line) - start > width:
            room = width - len(indent) - 1  # the segment, then the backslash
            fits = [point for point in here if start < point <= start + room]
            later = [point for point in here if point > start]
            point = fits[-1] if fits else (later[0] if later else None)
            if point is None:
                break
            printed.append(f"{indent}{line[start:point]}\\")
            start, indent = point, CONTINUATION_INDENT
        printed.append(f"{indent}{line[start:]}")
    return printed


def break_points(command: str) -> list[int]:
    """Offsets in `command` where a word starts after unquoted, top-level whitespace: breaking the line
    there with a backslash-newline leaves the command the shell runs unchanged."""
    return list(_break_points(command))


def _break_points(command: str) -> Iterator[int]:
    stack: list[str] = []  # open contexts: ' " ` $( (
    index = 0
    after_space = True
    while index < len(command):
        char = command[index]
        top = stack[-1] if stack else None
        if top == "'":
            if char == "'":
                stack.pop()
        elif char == "\\":
            index += 1  # the escaped character, a newline included, is part of the word
        elif (top == '"' and char == '"') or (top == "`" and char == "`"):
            stack.pop()
        elif char == "$" and command.startswith("$(", index):
            stack.append("$(")
            index += 1
        elif top == '"':
            if char == "`":
                stack.append("`")
        elif char in "'\"`":
            stack.append(char)
        elif char == "(":
            stack.append("(")
        elif char == ")" and top in ("$(", "("):
            stack.pop()
        elif char == "#" and after_space and not stack:
            newline = command.find("\n", index)
            index = len(command) if newline < 0 else newline
            continue  # a comment runs to the end of its line
        elif char in " \t" and not stack:
            end = index
            while end < len(command) and command[end] in " \t":
                end += 1
            if end < len(command) and command[end] != "\n" and not command.startswith("\\\n", end):
                yield end  # not before a line's own trailing backslash
            index = end
            after_space = True
            continue
        after_space = char in " \t\n"
        index += 1
