"""The layout rules of docs/architecture.md, read from the code (imports inside
functions included, ``if TYPE_CHECKING:`` blocks left out: they never run).

- imports run one way: instances <- models <- optimizer (backend, reports, results
  <- solve <- rerun, ph <- analyses <- runs) <- cli, never upward;
- no import circle between modules;
- no module imports another module's private (``_name``) names;
- ``cli.main`` (the click group) is imported by the console script only;
- every package states its API in ``__all__``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("instances", "models", "optimizer", "cli")

#: layer of a module, by the longest matching prefix; a module may import its own
#: layer and the layers below (smaller numbers), never one above
LAYERS = {
    "instances": 0,
    "models": 1,
    "optimizer.backend": 2,
    "optimizer.reports": 2,
    "optimizer.results": 2,
    "optimizer.evaluator": 2,
    "optimizer.sensitivity": 2,
    "optimizer": 3,  # the package, optimizer.solve and any other top-level module
    "optimizer.rerun": 4,
    "optimizer.ph": 4,
    "optimizer.analyses": 5,
    "optimizer.runs": 6,
    "cli": 7,
}


def layer(module: str) -> int:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return LAYERS[prefix]
    raise KeyError(module)


def project_modules() -> dict[str, Path]:
    """{dotted module name: file} of the four packages."""
    out = {}
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            parts = f.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = f
    return out


MODULES = project_modules()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            for child in node.body:
                skip.update(id(n) for n in ast.walk(child))
    return skip


def _owner(name: str) -> str | None:
    """The project module a dotted import target lives in (None: not ours)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) of every runtime import in ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    skip = _type_checking_nodes(tree)
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.extend((a.name, "", node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package of this module
                pkg = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.append((sub, "", node.lineno) if sub in MODULES else (base, a.name, node.lineno))
    return out


def edges() -> list[tuple[str, str, str, int]]:
    """(importer, imported project module, name, line) of every import between our modules."""
    out = []
    for module in MODULES:
        for target, name, line in imports(module):
            owner = _owner(target)
            if owner is not None and owner != module and not module.startswith(owner + "."):
                out.append((module, owner, name, line))
    return out


EDGES = edges()


def test_every_module_has_a_layer():
    assert [m for m in MODULES if m not in ("",)] and all(isinstance(layer(m), int) for m in MODULES)


def test_no_upward_import():
    upward = [f"{src} (layer {layer(src)}) imports {dst} (layer {layer(dst)}), line {line}"
              for src, dst, _name, line in EDGES if layer(dst) > layer(src)]
    assert upward == []


def test_no_import_circle():
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for src, dst, _name, _line in EDGES:
        graph[src].add(dst)
    # Tarjan's strongly connected components
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    assert circles == []


def test_no_import_of_a_private_name():
    private = [f"{src} imports {name} from {dst}, line {line}" for src, dst, name, line in EDGES
               if name.startswith("_") and not name.startswith("__")]
    assert private == []


def test_no_private_attribute_of_an_imported_module():
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        aliases = {}  # local name -> project module, for `import a.b as c` and `from a import b` (b a module)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in MODULES:
                        aliases[a.asname or a.name] = a.name
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    if f"{node.module}.{a.name}" in MODULES:
                        aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__") and aliases[node.value.id] != module):
                found.append(f"{module} reads {aliases[node.value.id]}.{node.attr}, line {node.lineno}")
    assert found == []


def test_the_click_group_is_imported_by_the_console_script_only():
    importers = sorted({src for src, dst, _name, _line in EDGES if dst == "cli.main"})
    assert importers == ["cli.entry"]


@pytest.mark.parametrize("package", sorted(m for m, f in MODULES.items() if f.name == "__init__.py"))
def test_every_package_states_its_api(package):
    tree = ast.parse(MODULES[package].read_text())
    names = {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
             for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)}
    assert "__all__" in names


def test_the_rules_catch_an_upward_import_and_a_private_one(tmp_path):
    """The checker itself: a made-up backend module importing the cli and a private name."""
    assert layer("optimizer.backend.x") < layer("cli.common")
    assert layer("optimizer.analyses.x") > layer("optimizer.rerun") > layer("optimizer.solve") > layer("optimizer.results")
    assert layer("optimizer.runs.folder") > layer("optimizer.analyses.explain")
    code = "from cli.common import fail_input\nfrom instances.load import _horizon\n"
    tree = ast.parse(code)
    found = [(n.module, a.name) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names]
    assert [layer(m) > layer("optimizer.backend.x") for m, _ in found] == [True, False]
    assert [name.startswith("_") for _, name in found] == [False, True]
