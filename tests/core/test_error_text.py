"""No code decides on an error's text (issue 11): a refusal carries a code
(tinhso.core.errors), and `"xem" in exc.message` is how a wrong status went to the client.

The check reads src/ with `ast`: within an `except ... as name:` handler, a comparison
(`in`, `==`, `!=`, `startswith`...) that involves the caught error's text (`str(name)`,
`name.message`, `name.args`, or a method of those) is a defect."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tinhso"
TEXT_METHODS = {"startswith", "endswith", "find", "index", "count", "__contains__"}


def _is_error_text(node: ast.AST, names: set[str], texts: frozenset[str] = frozenset()) -> bool:
    """`str(exc)`, `exc.message`, `exc.args`, `repr(exc)`, chains on them (`.lower()`), and
    a variable `texts` holds such a text in."""
    while True:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value  # str(exc).lower() → str(exc)
            continue
        if isinstance(node, ast.Subscript):
            node = node.value
            continue
        break
    if isinstance(node, ast.Name):
        return node.id in texts
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"str", "repr", "format"}
        and node.args
    ):
        first = node.args[0]
        return isinstance(first, ast.Name) and first.id in names
    if isinstance(node, ast.Attribute) and node.attr in {"message", "args", "msg"}:
        return isinstance(node.value, ast.Name) and node.value.id in names
    return False


def decisions_on_error_text(source: str, filename: str = "<src>") -> list[int]:
    found: list[int] = []
    for handler in ast.walk(ast.parse(source, filename)):
        if not isinstance(handler, ast.ExceptHandler) or not handler.name:
            continue
        names = {handler.name}
        texts = frozenset(
            target.id
            for node in ast.walk(handler)
            if isinstance(node, ast.Assign) and _is_error_text(node.value, names)
            for target in node.targets
            if isinstance(target, ast.Name)
        )
        for node in ast.walk(handler):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                if any(_is_error_text(o, names, texts) for o in operands):
                    found.append(node.lineno)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in TEXT_METHODS
                and _is_error_text(node.func.value, names, texts)
            ):
                found.append(node.lineno)
    return found


def test_the_check_finds_what_it_looks_for():
    caught = """
try:
    act()
except DocumentError as exc:
    a = "xem" in exc.message
    b = "PKCS#12" in str(exc)
    c = str(exc).lower().startswith("tệp")
    d = exc.args[0] == "x"
    e = exc.code is NOT_FOUND
    f = "x" in other_text
    text = str(exc)
    g = "nội dung" in text.lower()
"""
    assert decisions_on_error_text(caught) == [5, 6, 7, 8, 12]


def test_no_code_in_src_decides_on_an_error_text():
    offenders = [
        f"{path.relative_to(SRC.parent)}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        for line in decisions_on_error_text(path.read_text(encoding="utf-8"), str(path))
    ]
    assert offenders == [], "decide on the error's code, not its text: " + ", ".join(offenders)
