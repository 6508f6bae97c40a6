"""The code's shape, checked: no module-level state (state belongs to actors and handles)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "community"
_MUTABLE_CALLS = {"dict", "list", "set", "defaultdict", "deque", "OrderedDict", "Counter", "count", "bytearray",
                  "WeakValueDictionary", "WeakSet"}
_MUTATORS = {"append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem", "clear", "remove",
             "discard", "sort", "reverse", "__setitem__", "__delitem__"}
_CONSTANT = re.compile(r"^_?[A-Z][A-Z0-9_]*$|^__\w+__$")
# Process-wide by nature, not application state: the one asyncio loop thread asyncpg runs on
# (db/pool.py is the only door to asyncpg; a forked worker starts its own).
_PROCESS_WIDE = {("community/db/pool.py", "_loop_thread")}


def _modules() -> list[tuple[str, ast.Module]]:
    return [(str(p.relative_to(PACKAGE.parent)), ast.parse(p.read_text())) for p in sorted(PACKAGE.rglob("*.py"))]


def _is_mutable(value: ast.expr) -> bool:
    if isinstance(value, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp | ast.SetComp):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return name in _MUTABLE_CALLS
    return False


def _module_assignments(tree: ast.Module) -> list[tuple[str, ast.expr, int]]:
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            found += [(t.id, node.value, node.lineno) for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
            found.append((node.target.id, node.value, node.lineno))
    return found


def _mutations(tree: ast.Module, names: set[str]) -> list[tuple[str, int]]:
    hits = []
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            target = next((t.value for t in targets if isinstance(t, ast.Subscript)), None)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS:
            target = node.func.value
        elif isinstance(node, ast.Global):
            hits += [(n, node.lineno) for n in node.names]
        if isinstance(target, ast.Name) and target.id in names:
            hits.append((target.id, node.lineno))
    return hits


def test_no_mutable_module_level_state() -> None:
    """A mutable container at module level is state no actor owns: only constants (UPPER_SNAKE, never mutated)."""
    state, mutated = [], []
    for path, tree in _modules():
        constants = set()
        for name, value, line in _module_assignments(tree):
            if not _is_mutable(value):
                continue
            if _CONSTANT.match(name):
                constants.add(name)
            else:
                state.append(f"{path}:{line} {name}")
        mutated += [f"{path}:{line} {name}" for name, line in _mutations(tree, constants)
                    if (path, name) not in _PROCESS_WIDE]
    assert state == [], "module-level state; move it into an actor or a handle"
    assert mutated == [], "a module constant is mutated"


def test_the_check_sees_state() -> None:
    tree = ast.parse("_seen = {}\nLIMITS: dict[str, int] = {}\ndef f():\n    LIMITS['a'] = 1\n")
    assert [n for n, v, _ in _module_assignments(tree) if _is_mutable(v) and not _CONSTANT.match(n)] == ["_seen"]
    assert _mutations(tree, {"LIMITS"}) == [("LIMITS", 4)]
