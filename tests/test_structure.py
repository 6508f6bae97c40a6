"""The code's shape, checked: no module-level state (state belongs to actors and handles), no
import cycles, no route importing another route, no import by string."""

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


def _imports(tree: ast.Module) -> set[str]:
    """Every module of ours this one imports (at any level, lazily or not)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {name for name in found if name == "community" or name.startswith("community.")}


def _graph() -> dict[str, set[str]]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return {name: {t for t in _imports(ast.parse(path.read_text())) if t in names and t != name}
            for name, path in names.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while (top := stack.pop()) != node:
                component.append(top)
            if component:
                found.append(sorted([node, *component]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_layers_import_one_way() -> None:
    """Routes never import routes; domain imports nothing of ours but domain; nothing imports by string."""
    graph, wrong = _graph(), []
    for name, targets in graph.items():
        for target in targets:
            if name.startswith("community.http.routes.") and target.startswith("community.http.routes."):
                wrong.append(f"{name} -> {target}")
            if name.startswith("community.domain") and not target.startswith("community.domain"):
                wrong.append(f"{name} -> {target}")
            if name == "community.supervisor":
                wrong.append(f"{name} -> {target}")
    assert wrong == []
    for path in [*PACKAGE.rglob("*.py"), *PACKAGE.parent.joinpath("tests").rglob("*.py")]:
        tree = ast.parse(path.read_text())
        assert "import_module" not in {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}, path
        assert "import_module" not in {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                                       for a in n.names}, path


def _query_aliases(tree: ast.Module) -> dict[str, str]:
    """Local names bound to modules of community.db.queries (`from community.db.queries import forums as q`)."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "community.db.queries":
            found |= {a.asname or a.name: f"{node.module}.{a.name}" for a in node.names}
    return found


def _query_calls(func: ast.AST, aliases: dict[str, str]) -> set[tuple[str, str]]:
    return {(aliases[n.func.value.id], n.func.attr) for n in ast.walk(func)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
            and n.func.value.id in aliases}


def _service_functions() -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, dict[str, str]]]:
    found = []
    for path, tree in _modules():
        if path.startswith("community/services/"):
            aliases = _query_aliases(tree)
            found += [(path, f, aliases) for f in tree.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]
    return found


def _acts_for_a_caller(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
    return any(a.annotation is not None and "OrgMember" in ast.unparse(a.annotation) for a in args)


def test_protected_rows_load_only_through_access() -> None:
    """What an `access_*` function loads (its `get_*` queries) is protected: a use case acting for a
    caller reaches those rows only through an `access_*`, which answers the same 404 for missing and
    forbidden. Workers acting for nobody (deliveries, reminders) read them directly."""
    functions = _service_functions()
    protected = {call for _, f, aliases in functions if f.name.startswith("access_")
                 for call in _query_calls(f, aliases) if call[1].startswith("get_")}
    assert protected, "no access_ function found"
    wrong = [f"{path} {f.name} -> {module}.{name}" for path, f, aliases in functions
             if not f.name.startswith("access_") and _acts_for_a_caller(f)
             for module, name in _query_calls(f, aliases) if (module, name) in protected]
    assert wrong == []


def test_routes_hand_on_typed_bodies_and_never_touch_the_database() -> None:
    """Routes are thin: a validated body goes to its service as the model it is (no `model_dump`
    into a dict), and no route imports the database layer."""
    wrong = []
    for path, tree in _modules():
        if not path.startswith("community/http/routes/"):
            continue
        wrong += [f"{path}:{n.lineno} model_dump" for n in ast.walk(tree)
                  if isinstance(n, ast.Attribute) and n.attr == "model_dump"]
        wrong += [f"{path} imports {t}" for t in _imports(tree) if t.startswith("community.db")]
    assert wrong == []


def _authorizes(func: ast.AST) -> list[int]:
    """Lines where `func` decides who may act: raises ForbiddenError or calls `.require(...)`."""
    lines = [n.lineno for n in ast.walk(func) if isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call)
             and ast.unparse(n.exc.func).endswith("ForbiddenError")]
    return lines + [n.lineno for n in ast.walk(func) if isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute) and n.func.attr == "require"]


def test_writes_in_a_unit_do_not_authorize() -> None:
    """A `do_*` that writes in a unit of work (its first parameter `unit`) has been handed a caller its
    `check_*` already authorized: it raises no ForbiddenError and calls no `.require()`."""
    wrong = [f"{path} {f.name}:{line}" for path, f, _ in _service_functions()
             if f.name.startswith("do_") and f.args.args and f.args.args[0].arg == "unit"
             for line in _authorizes(f)]
    assert wrong == []


def test_the_authorization_check_sees_a_check() -> None:
    tree = ast.parse("async def do_x(unit, m):\n    m.require(1)\n    raise ForbiddenError('no')\n")
    assert _authorizes(tree) == [3, 2]


# Converted to check_* -> access_* -> do_*: every public do_* here writes in its caller's unit of work.
_UNIT_FIRST = ("forums", "topics", "event_writes", "registrations", "members", "moderators",
               "moderation", "posts", "messages", "conversations", "reads", "attachments", "resources",
               "invitations", "orgs", "account", "integrations", "domains", "billing", "calendar", "identity",
               "satisfaction", "files")


def test_writes_take_the_unit_of_work() -> None:
    """In the services of `_UNIT_FIRST` (services/forums.py, topics.py, event_writes.py,
    registrations.py, members.py, moderators.py, moderation.py, posts.py, messages.py,
    conversations.py, reads.py, attachments.py, resources.py, invitations.py, orgs.py, account.py,
    integrations.py, domains.py, billing.py, calendar.py, identity.py, satisfaction.py, files.py), every public
    `do_*` takes the unit of work first
    (it writes, its `check_*` opened the transaction and authorized) and opens no transaction."""
    wrong = []
    for path, f, _ in _service_functions():
        if Path(path).stem not in _UNIT_FIRST or not f.name.startswith("do_"):
            continue
        if not f.args.args or f.args.args[0].arg != "unit":
            wrong.append(f"{path} {f.name}: first parameter is not unit")
        wrong += [f"{path} {f.name}:{n.lineno} opens a transaction" for n in ast.walk(f)
                  if isinstance(n, ast.Call) and ast.unparse(n.func).split(".")[-1] in ("transaction", "unit_of_work")]
    assert wrong == []


# Query modules whose stored rows are typed: what services read a row through returns its `*Row`.
_TYPED_ROWS = ("forums", "members", "invitations", "resources", "topics", "posts", "satisfaction", "events",
               "orgs", "conversations", "messages", "files", "account", "domains", "billing",
               "reminders", "integrations", "moderation", "registrations", "users",
               "reads", "calendar_feeds", "moderators")
# Results in those modules that are not one table's stored row (aggregates, joins, job lists), and
# forums.update_forum, whose row its one caller discards (to be typed with the forums row).
_NOT_STORED_ROWS = {"forums": {"dashboard_stats", "member_stats", "update_forum"},
                    "members": {"list_user_memberships"},
                    "resources": {"member_roles"},
                    # Listings (a forum's topics, announcements, the topic page's posts, revisions) go straight
                    # into their views: no per-row conversion on the hot read path. titles: ids to titles.
                    "topics": {"list_forum_topics", "list_announcements", "titles"},
                    "posts": {"list_topic_posts", "list_revisions"},
                    # aggregates
                    "satisfaction": {"rating_summary", "csat_days", "rating_days"},
                    # The caller's context (user, membership, org columns, session) in one statement a
                    # request: `OrgMember.org` keeps it as a mapping, no row built per request.
                    "orgs": {"request_context"},
                    # The viewer's views (read state, last message, unread count; participants and blocks
                    # with profiles), read as they are encoded on the conversation page and in the send's
                    # one statement: no row built per request; active_members is a user id -> role map.
                    "conversations": {"get_conversation", "list_conversations", "list_participants", "list_blocks",
                                      "active_members"},
                    # The conversation page's pages, encoded as read (no row built per message).
                    "messages": {"list_before", "list_after"},
                    # A logo's keys as the public_image SQL function answers them (any org, no token).
                    "files": {"public_image"},
                    # The public org card the org_for_domain SQL function answers, encoded as read into
                    # /api/config (no tenant context: not the organizations row).
                    "domains": {"org_for_domain"},
                    # The operator's report: every org's plan with its members active in 30 days (billing_report).
                    "billing": {"report"},
                    # A topic's read state with its unread count and first unread post (computed per topic)
                    # and the previous visit: read_states keys them by topic id, topic_read is the topic
                    # page's one statement (topic_read_query) answered as the same mapping.
                    "reads": {"read_states", "topic_read"}}


def _untyped_rows(tree: ast.Module, allowed: set[str]) -> list[str]:
    """Public functions of a query module that answer rows as dicts (`dict[...]`, `list[dict[...]]`,
    `... | None`) and are not in `allowed`; and the module itself when it defines no `*Row`."""
    wrong = [] if any(isinstance(n, ast.ClassDef) and n.name.endswith("Row") for n in tree.body) else ["no *Row"]
    for n in tree.body:
        if (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("_")
                and n.name not in allowed and n.returns is not None
                and re.search(r"\bdict\[", ast.unparse(n.returns))):
            wrong.append(f"{n.name}:{n.lineno} -> {ast.unparse(n.returns)}")
    return wrong


def test_query_functions_answer_typed_rows() -> None:
    """In the query modules of `_TYPED_ROWS` a stored row comes back as its frozen `*Row`
    (`XRow | None`, `list[XRow]`), never as a dict."""
    wrong = [f"community/db/queries/{m}.py {w}" for m in _TYPED_ROWS
             for w in _untyped_rows(ast.parse((PACKAGE / "db" / "queries" / f"{m}.py").read_text()),
                                    _NOT_STORED_ROWS.get(m, set()))]
    assert wrong == []


def test_the_row_check_sees_a_dict() -> None:
    source = ("class ARow: pass\nasync def get_a(c) -> ARow | None: ...\n"
              "async def get_b(c) -> dict[str, Any] | None: ...\nasync def list_c(c) -> list[dict[str, Any]]: ...\n"
              "async def stats(c) -> dict[str, Any]: ...\n")
    assert _untyped_rows(ast.parse(source), {"stats"}) == ["get_b:3 -> dict[str, Any] | None",
                                                           "list_c:4 -> list[dict[str, Any]]"]
    assert _untyped_rows(ast.parse("def f() -> int: ...\n"), set()) == ["no *Row"]
