"""The house rules of the code's shape, checked on the source with ``ast``.

Why a test: the layout is what lets a newcomer guess where a thing lives, and it decays one
convenient import at a time. Imports inside functions count: a cycle hidden in a function
is still a cycle. Where a rule would make the code worse, the exception is listed here
with its reason.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "calcapp"
MAX_FUNCTION, MAX_MODULE, MAX_FOLDER = 80, 500, 14

# module:function -> why it may be longer than MAX_FUNCTION lines
LONG_FUNCTIONS: dict[str, str] = {}
# module -> why it may be longer than MAX_MODULE lines
LONG_MODULES: dict[str, str] = {}
# the one-way order of the rooms: a room may import only those after it
LAYERS = ["cli", "ui", "engine", "arithmetic", "handwriting", "nets", "expr", "ink", "paths"]
# rooms that may import each other at the same level: none
SIBLINGS_ALLOWED = {("arithmetic", "nets"), ("handwriting", "nets"), ("handwriting", "expr"),
                    ("arithmetic", "expr"), ("handwriting", "ink"), ("nets", "expr")}


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The calcapp modules ``name`` imports, anywhere in the file."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("calcapp"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if not base.startswith("calcapp"):
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in modules else base)
    return {m for m in found if m in modules and m != name}


def _graph():
    modules = _modules()
    return modules, {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_no_import_cycle_among_calcapps_modules():
    _, graph = _graph()
    assert _cycles(graph) == []


def test_a_package_is_not_a_cycle_with_its_own_modules():
    """Importing ``calcapp.x.y`` runs ``calcapp/x/__init__.py`` first: an ``__init__`` that
    imports its own modules would hide a cycle, so the rooms' ``__init__`` files import nothing.
    ``calcapp.cli`` is the command's entry point (``calcapp.cli:main``); its subcommands are
    imported by name when run and import only ``calcapp.cli.errors`` back."""
    modules, graph = _graph()
    for name, path in modules.items():
        if path.name == "__init__.py" and name.count(".") >= 1 and name != "calcapp.cli":
            assert not graph[name], f"{name} imports {graph[name]}"


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_imports_go_one_way_between_rooms():
    """ui -> engine -> the network domains -> the core languages, never back."""
    _, graph = _graph()
    order = {room: i for i, room in enumerate(LAYERS)}
    wrong = []
    for name, deps in graph.items():
        a = _room(name)
        for dep in deps:
            b = _room(dep)
            if a == b or a not in order or b not in order:
                continue
            if order[b] < order[a]:
                wrong.append(f"{name} -> {dep}")
    assert wrong == []


def test_the_two_network_domains_do_not_import_each_other():
    _, graph = _graph()
    crossing = [f"{n} -> {d}" for n, deps in graph.items() for d in deps
                if {_room(n), _room(d)} == {"arithmetic", "handwriting"} or {_room(n), _room(d)} == {"expr", "ink"}]
    assert crossing == []


def test_no_function_is_longer_than_80_lines():
    long = {}
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                key = f"{name}:{node.name}"
                if lines > MAX_FUNCTION and key not in LONG_FUNCTIONS:
                    long[key] = lines
    assert long == {}


def test_no_module_is_longer_than_500_lines():
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text().splitlines())) > MAX_MODULE and name not in LONG_MODULES}
    assert long == {}


def test_no_folder_holds_more_than_14_modules():
    counts = defaultdict(int)
    for path in ROOT.rglob("*.py"):
        if path.name != "__init__.py":
            counts[str(path.parent.relative_to(ROOT.parent))] += 1
    assert {folder: n for folder, n in counts.items() if n > MAX_FOLDER} == {}


def test_every_room_says_what_it_holds():
    """Each package's ``__init__`` has a docstring: the room's sign on the door."""
    missing = [str(p.relative_to(ROOT.parent)) for p in ROOT.rglob("__init__.py")
               if not ast.get_docstring(ast.parse(p.read_text()))]
    assert missing == []


def test_the_check_finds_a_cycle_hidden_in_a_function(tmp_path):
    """The checker itself: a cycle through an import inside a function is found."""
    graph = {"calcapp.a": {"calcapp.b"}, "calcapp.b": {"calcapp.a"}, "calcapp.c": set()}
    assert _cycles(graph) == [["calcapp.a", "calcapp.b"]]
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from calcapp.expr import parser\n")
    assert _imports("calcapp.m", src, {"calcapp.expr.parser": src}) == {"calcapp.expr.parser"}
