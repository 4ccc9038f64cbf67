"""The loader turns every kind of broken YAML into a located diagnostic and keeps positions of good YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.records.yaml_loader import Limits, load_bytes, load_file


def codes(raw: bytes, limits: Limits = Limits()) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.col) for d in load_bytes(raw, "f.yaml", limits).diagnostics]


def test_positions_are_recorded_for_nested_keys_and_list_items() -> None:
    raw = b"id: x\nmitigation:\n  - action: a\n  - action: b\n    command: run it\n"
    document = load_bytes(raw, "f.yaml").document
    assert document is not None
    assert document.locate(("mitigation", 1, "command")) == (5, 5)
    assert document.locate(("mitigation", 1, "command"), value=True) == (5, 14)
    assert document.locate(("mitigation", 1)) == (4, 5)


def test_locate_falls_back_to_the_deepest_existing_part() -> None:
    document = load_bytes(b"id: x\nmitigation: []\n", "f.yaml").document
    assert document is not None
    assert document.locate(("mitigation", 3, "command")) == (2, 1)
    assert document.locate(("nope",)) == (1, 1)


def test_duplicate_key_names_both_lines() -> None:
    result = load_bytes(b"id: x\ntitle: a\nid: y\n", "f.yaml")
    [diagnostic] = result.diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.col) == ("duplicate-key", 3, 1)
    assert "line 1" in diagnostic.message and "line 3" in diagnostic.message


def test_nested_duplicate_key_is_found() -> None:
    assert codes(b"a:\n  b: 1\n  c: 2\n  b: 3\n") == [("duplicate-key", 4, 3)]


def test_tab_indentation_is_a_located_error() -> None:
    result = load_bytes(b"id: x\nlist:\n\t- a\n", "f.yaml")
    assert [(d.code, d.line) for d in result.diagnostics] == [("tab", 3)]
    assert result.document is None


def test_byte_order_mark_is_accepted() -> None:
    result = load_bytes(b"\xef\xbb\xbfid: x\n", "f.yaml")
    assert result.diagnostics == [] and result.document is not None
    assert result.document.data == {"id": "x"}


def test_invalid_utf8_points_at_the_byte() -> None:
    assert codes(b"id: x\ntitle: caf\xe9\n") == [("encoding", 2, 11)]


def test_nul_byte_is_refused() -> None:
    assert codes(b"id: x\x00\n")[0][0] == "encoding"


@pytest.mark.parametrize("raw", [b"", b"# only a comment\n", b"---\n", b"\n\n"])
def test_empty_and_comment_only_files(raw: bytes) -> None:
    assert [c for c, _, _ in codes(raw)] == ["empty-file"]


@pytest.mark.parametrize(("raw", "word"), [(b"- a\n- b\n", "list"), (b"just text\n", "str"), (b"42\n", "int")])
def test_top_level_must_be_a_mapping(raw: bytes, word: str) -> None:
    [diagnostic] = load_bytes(raw, "f.yaml").diagnostics
    assert diagnostic.code == "not-a-mapping" and word in diagnostic.message


def test_billion_laughs_is_refused_without_expanding() -> None:
    levels = [b"a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        refs = b", ".join([b"*a%d" % (level - 1)] * 10)
        levels.append(b"a%d: &a%d [%s]" % (level, level, refs))
    assert [c for c, _, _ in codes(b"\n".join(levels) + b"\n")] == ["alias-bomb"]


def test_many_small_aliases_are_capped() -> None:
    raw = b"base: &b {k: v}\nlist: [" + b", ".join([b"*b"] * 20) + b"]\n"
    assert [c for c, _, _ in codes(raw, Limits(max_aliases=5))] == ["alias-bomb"]


def test_a_few_aliases_are_fine() -> None:
    result = load_bytes(b"base: &b {k: v}\nother: *b\n", "f.yaml")
    assert result.diagnostics == []


def test_recursive_alias_is_refused() -> None:
    assert [c for c, _, _ in codes(b"a: &a [1, *a]\n")] == ["alias-bomb"]


def test_absurd_nesting_is_refused() -> None:
    raw = b"a: " + b"[" * 40 + b"]" * 40 + b"\n"
    assert [c for c, _, _ in codes(raw, Limits(max_depth=32))] == ["too-deep"]


def test_nesting_beyond_libyaml_limit_is_a_syntax_error_not_a_crash() -> None:
    raw = b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n"
    assert codes(raw)[0][0] in ("yaml-syntax", "too-deep")


def test_object_constructing_tags_are_refused() -> None:
    assert codes(b"id: !!python/object/apply:os.system ['echo hi']\n") == [("yaml-tag", 1, 5)]


def test_syntax_error_is_located() -> None:
    [(code, line, _)] = codes(b"id: x\ntitle: [unclosed\nnext: 1\n")
    assert code == "yaml-syntax" and line == 3


def test_second_document_is_refused() -> None:
    assert [c for c, _, _ in codes(b"a: 1\n---\nb: 2\n")] == ["multiple-documents"]


def test_boolean_looking_keys_must_be_quoted() -> None:
    [diagnostic] = load_bytes(b"on: 1\n'yes': 2\n", "f.yaml").diagnostics
    assert diagnostic.code == "non-string-key" and "'on'" in diagnostic.message


def test_file_above_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * 2000 + b"\n")
    [diagnostic] = load_file(path, "big.yaml", Limits(max_file_bytes=1000)).diagnostics
    assert diagnostic.code == "too-large" and "2,004 bytes" in diagnostic.message


def test_directory_and_missing_file_are_unreadable(tmp_path: Path) -> None:
    assert load_file(tmp_path, "dir.yaml").diagnostics[0].code == "unreadable"
    assert load_file(tmp_path / "missing.yaml", "missing.yaml").diagnostics[0].code == "unreadable"


def test_extremely_long_line_is_parsed() -> None:
    raw = b"summary: " + b"word " * 200_000 + b"\n"
    result = load_bytes(raw, "f.yaml", Limits(max_file_bytes=2 << 20))
    assert result.diagnostics == [] and result.document is not None
