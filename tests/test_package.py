"""The package's shape: no import cycle among zsiw modules, no Python data tables."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """zsiw modules this file imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        found |= {n for n in names if n in modules}
    return found - {module_name(path)} - {"zsiw"}


def test_no_import_cycle_among_zsiw_modules():
    files = {module_name(p): p for p in (SRC / "zsiw").rglob("*.py")}
    graph = {m: imports_of(p, set(files)) for m, p in files.items()}
    cycles = []

    def visit(node, stack, done):
        if node in stack:
            cycles.append(stack[stack.index(node) :] + [node])
            return
        if node in done:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, [*stack, node], done)
        done.add(node)

    done: set[str] = set()
    for module in sorted(graph):
        visit(module, [], done)
    assert not cycles, cycles
    assert "zsiw.train" not in graph["zsiw.evaluate"]  # the cycle this test was written for


def test_no_python_module_is_a_data_table():
    """Data lives in YAML/JSON next to the code, not in .py files of dict literals."""
    for path in (SRC / "zsiw").rglob("*.py"):
        tree = ast.parse(path.read_text())
        literal_lines = sum(
            node.end_lineno - node.lineno + 1
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            and isinstance(node.value, ast.Dict | ast.List | ast.Tuple)
        )
        assert literal_lines < 150, f"{path.name}: {literal_lines} lines of literal data"
