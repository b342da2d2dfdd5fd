"""The layer contract (DESIGN §3, STYLE B2), checked by parsing every module's imports.

core imports nothing from compile/gpu/widgets at module level; compile and gpu never import
widgets; nothing outside widgets imports widgets except the lazy ``%load_ext`` hook.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nbgraph"

# Function-level imports from core into compile that Theano's API needs: ``Variable.eval``
# compiles. Anything else must carry a ``# lazy`` comment on the import line.
CORE_LAZY_WHITELIST = {("core/variable.py", "eval")}

# The only place outside widgets allowed to import widgets (lazily, inside the function).
WIDGETS_HOOKS = {("__init__.py", "load_ipython_extension")}


@dataclass(frozen=True)
class Import:
    module: str          # the absolute module imported, e.g. "nbgraph.compile.function"
    line: int
    function: str | None  # enclosing function, None at module level
    lazy: bool           # the source line carries a "# lazy" comment
    type_checking: bool  # under ``if TYPE_CHECKING:`` (never runs)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(path: Path, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        package = module_name(path).split(".")
        if path.name != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    if node.module is None:
        # ``from . import gradient``: each name may itself be a submodule
        return [f"{base}.{alias.name}" for alias in node.names]
    return [base]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path) -> list[Import]:
    source = path.read_text()
    lines = source.splitlines()
    found: list[Import] = []

    def visit(node: ast.AST, function: str | None, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, function or child.name, type_checking)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                visit(child, function, True)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                if isinstance(child, ast.Import):
                    names = [alias.name for alias in child.names]
                else:
                    names = _absolute(path, child)
                end = getattr(child, "end_lineno", child.lineno)
                text = " ".join(lines[child.lineno - 1:end])
                for name in names:
                    found.append(Import(name, child.lineno, function, "# lazy" in text,
                                        type_checking))
            else:
                visit(child, function, type_checking)

    visit(ast.parse(source, filename=str(path)), None, False)
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "nbgraph" or len(parts) < 2:
        return None
    return parts[1]


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _in_layer(layer: str) -> list[Path]:
    return [p for p in MODULES if p.relative_to(PACKAGE).parts[0] == layer]


def _where(path: Path, imp: Import) -> str:
    return f"{path.relative_to(PACKAGE)}:{imp.line} imports {imp.module}"


def test_the_layers_exist():
    # the checks below would pass vacuously on an empty package
    assert len(_in_layer("core")) >= 5
    assert len(_in_layer("compile")) >= 3


@pytest.mark.parametrize("path", _in_layer("core"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_does_not_import_upper_layers(path):
    rel = str(path.relative_to(PACKAGE))
    for imp in imports_of(path):
        if _layer(imp.module) not in ("compile", "gpu", "widgets") or imp.type_checking:
            continue
        assert imp.function is not None, \
            f"{_where(path, imp)} at module level: core must not depend on upper layers"
        assert _layer(imp.module) != "widgets", f"{_where(path, imp)}: nothing imports widgets"
        assert imp.lazy or (rel, imp.function) in CORE_LAZY_WHITELIST, \
            f"{_where(path, imp)} inside {imp.function}(): mark a deliberate lazy import " \
            f"with '# lazy'"


@pytest.mark.parametrize("path", [p for p in MODULES if p.relative_to(PACKAGE).parts[0]
                                  != "widgets"], ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nothing_below_widgets_imports_widgets(path):
    rel = str(path.relative_to(PACKAGE))
    for imp in imports_of(path):
        if _layer(imp.module) != "widgets":
            continue
        assert (rel, imp.function) in WIDGETS_HOOKS, f"{_where(path, imp)}: widgets read " \
            f"the other layers; nothing outside widgets may import them"


@pytest.mark.parametrize("path", _in_layer("compile"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_compile_imports_gpu_only_lazily(path):
    # gpu builds on compile (core <- compile <- gpu); compile may pick the CUDA linker at
    # call time but must not import it at module level
    for imp in imports_of(path):
        if _layer(imp.module) == "gpu" and not imp.type_checking:
            assert imp.function is not None, f"{_where(path, imp)} at module level"


def test_import_checker_sees_relative_and_lazy_imports():
    # the parser itself: a relative import two levels up, inside a function, marked lazy
    found = {(i.module, i.function, i.lazy) for i in imports_of(PACKAGE / "core" / "variable.py")}
    assert ("nbgraph.compile.function", "eval", True) in found


def test_importing_nbgraph_loads_no_widgets():
    code = ("import sys, nbgraph, nbgraph.tensor, nbgraph.gradient; "
            "bad = sorted(m for m in sys.modules if m.startswith(('nbgraph.widgets', "
            "'ipywidgets'))); print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, f"import nbgraph pulled in {result.stdout}{result.stderr}"
