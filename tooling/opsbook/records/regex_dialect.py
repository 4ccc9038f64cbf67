"""The one regular-expression dialect of signatures and triage cues: the subset that Python's `re` and the
browser's `RegExp` run identically.

Triage runs the same patterns in the CLI (Python) and in the site's symptom box (JavaScript). Python
compiles them with `re.ASCII | re.IGNORECASE` and JavaScript with the `i` flag, both over
`canonical_text(text)`; with that, what remains different is syntax, which `dialect_problem` finds:

- `\\A`, `\\Z`, `\\a`, `\\N{…}` and `\\U…` mean something in Python only (JavaScript reads `\\A` as "A");
- named groups `(?P<n>…)` / `(?<n>…)`, atomic groups `(?>…)`, conditionals, comments and inline flags
  `(?i)` exist in one of them only; possessive quantifiers (`a++`) throw in JavaScript;
- `{,n}` is a quantifier in Python and literal text in JavaScript; `[]…]` and `[^]…]` are read
  differently; `[[`, `--`, `&&`, `~~` and `||` inside a class may become set operations in Python;
- letters outside ASCII fold case differently (Python's ASCII mode does not fold them, `RegExp` does).

`canonical_text` removes the differences that lie in the text rather than the pattern: it turns CR and
CRLF into LF (JavaScript's `.` does not match CR), every whitespace character other than ASCII's into a
space (each side's `\\s` knows a different set), characters beyond U+FFFF into U+FFFD (JavaScript counts
them as two), and drops trailing whitespace (Python's `$` also matches before a final newline). The site's
`opsbook.js` does the same in `canonical()`.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

FLAGS = re.ASCII | re.IGNORECASE
"""How Python compiles a signature or cue; JavaScript uses `new RegExp(pattern, "i")`."""

_NEWLINES = re.compile(r"\r\n?")
_OTHER_SPACE = re.compile("[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]")
_OUTSIDE_BMP = re.compile("[\U00010000-\U0010ffff\ud800-\udfff]")
_TRAILING = re.compile(r"[ \t\n\v\f]+\Z")
_BOUNDED_REPEAT = re.compile(r"\{\d+(?:,\d*)?\}")
_CODE_POINT = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4}))")

_PYTHON_ONLY_ESCAPES = {
    "A": ("\\A (start of text) exists in Python only; JavaScript reads it as the letter A", "use ^"),
    "Z": ("\\Z (end of text) exists in Python only; JavaScript reads it as the letter Z", "use $"),
    "z": ("\\z is not an escape in Python or JavaScript", "use $"),
    "a": ("\\a is the bell character in Python and the letter a in JavaScript", "write \\x07 or drop it"),
    "N": ("\\N{…} (a named character) exists in Python only", "write the character itself or \\uXXXX"),
    "U": ("\\U… (an 8-digit code point) exists in Python only", "write the character itself"),
}
_SHARED_ESCAPES = frozenset("bBdDfnrsStvwWxu")
_GROUP_PROBLEMS = {
    "P": ("a Python named group or reference (?P…) throws in JavaScript", "use a plain group ( … )"),
    "<": ("a JavaScript named group (?<name>…) does not compile in Python", "use a plain group ( … )"),
    ">": ("an atomic group (?>…) exists in Python only", "use a plain group (?: … )"),
    "#": ("a comment group (?#…) exists in Python only", "remove the comment"),
    "(": ("a conditional group (?(…)…) exists in Python only", "write the alternatives with |"),
}
_CLASS_OPERATORS = ("[", "--", "&&", "~~", "||")


@dataclass(frozen=True, slots=True)
class DialectProblem:
    message: str
    hint: str


def canonical_text(text: str) -> str:
    """The text both implementations match against (see the module docstring)."""
    text = _NEWLINES.sub("\n", text)
    text = _OTHER_SPACE.sub(" ", text)
    text = _OUTSIDE_BMP.sub("\ufffd", text)
    return _TRAILING.sub("", text)


def search(pattern: str, text: str, *, case_sensitive: bool = False) -> re.Match[str] | None:
    """`pattern` searched in an already canonical `text`, as the browser does."""
    return compiled(pattern, case_sensitive=case_sensitive).search(text)


def compiled(pattern: str, *, case_sensitive: bool = False) -> re.Pattern[str]:
    """`pattern` compiled with the flags that make Python match as the browser does."""
    return re.compile(pattern, re.ASCII if case_sensitive else FLAGS)


def dialect_problem(pattern: str) -> DialectProblem | None:
    """The first construct of `pattern` that Python and JavaScript do not read the same way, if any.
    Assumes the pattern compiles in Python (check that first)."""
    in_class = False
    position = 0
    while position < len(pattern):
        char = pattern[position]
        escaped = pattern[position + 1 : position + 2] if char == "\\" else ""
        code = _CODE_POINT.match(pattern, position)
        letter = chr(int(code.group(1) or code.group(2), 16)) if code else char
        if not letter.isascii() and letter.lower() != letter.upper():
            return DialectProblem(
                f"the letter {letter!r} folds case differently in Python and JavaScript",
                "write this signature as literal text (without the slashes), or match the letter with .",
            )
        if char == "\\":
            if escaped in _PYTHON_ONLY_ESCAPES:
                message, hint = _PYTHON_ONLY_ESCAPES[escaped]
                return DialectProblem(message, hint)
            if escaped.isascii() and escaped.isalpha() and escaped not in _SHARED_ESCAPES:
                return DialectProblem(f"\\{escaped} is not an escape JavaScript knows", "remove the backslash")
            position += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            else:
                operator = next((op for op in _CLASS_OPERATORS if pattern.startswith(op, position)), None)
                if operator:
                    return DialectProblem(
                        f"{operator!r} inside [...] may become a set operation in Python",
                        f"escape it: {''.join(chr(92) + c for c in operator)}",
                    )
            position += 1
            continue
        if char == "[":
            start = position + 1 + (pattern[position + 1 : position + 2] == "^")
            if pattern[start : start + 1] == "]":
                return DialectProblem(
                    "a class that starts with ] is read differently ([] never matches in JavaScript)",
                    "escape the bracket: [\\]…]",
                )
            in_class = True
            position = start
            continue
        if char == "(" and pattern.startswith("(?", position):
            kind = pattern[position + 2 : position + 3]
            if kind in ":=!" or pattern[position + 2 : position + 4] in ("<=", "<!"):
                position += 2
                continue
            if kind in _GROUP_PROBLEMS:
                message, hint = _GROUP_PROBLEMS[kind]
                return DialectProblem(message, hint)
            return DialectProblem(
                "inline flags such as (?i) or (?s) exist in Python only",
                "remove them: signatures always match case-insensitively",
            )
        end = position + 1
        if char == "{":
            if pattern.startswith("{,", position):
                return DialectProblem("{,n} repeats in Python but is literal text in JavaScript", "write {0,n}")
            repeat = _BOUNDED_REPEAT.match(pattern, position)
            end = repeat.end() if repeat else end
            char = "*" if repeat else char
        if char in "*+?" and pattern[end : end + 1] == "+":
            return DialectProblem(
                "a possessive quantifier (such as a++ or a*+) throws in JavaScript", "drop the second +"
            )
        position = end
    return None


def split_signature(signature: str) -> tuple[str, bool]:
    """A signature written `/.../` is a regular expression; anything else is literal text."""
    if len(signature) > 2 and signature.startswith("/") and signature.endswith("/"):
        return signature[1:-1], True
    return signature, False


def portable(signature: str) -> bool:
    """Whether a signature is literal text, or a regular expression Python compiles and the browser runs the
    same way (`opsbook check` reports the others)."""
    pattern, is_regex = split_signature(signature)
    if not is_regex:
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            re.compile(pattern, FLAGS)
    except re.error:
        return False
    return dialect_problem(pattern) is None
