"""The layer contract (DESIGN §3, STYLE B2), checked by parsing every module's imports.

Dependencies flow core <- compile <- gpu; widgets read all three and nothing imports widgets.
An upward import is an error wherever it sits (module level or inside a function) and whatever
comment it carries; the few that Theano's API needs are whitelisted by (file, function).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nbgraph"

# What each layer may import (``config`` is the settings every layer reads). The upper layers
# (gpu, widgets) register what they add in tables of the lower ones instead of being imported:
# linkers and modes in compile/linker.py and compile/mode.py, shared constructors in
# core/shared.py; inner graphs (Scan, IfElse) are compiled through the linker's InnerCompiler.
MAY_IMPORT = {
    "core": {"core", "config"},
    "compile": {"compile", "core", "config"},
    "gpu": {"gpu", "compile", "core", "config"},
}

# The only upward imports: (file, enclosing function) -> the module it may import, lazily.
UPWARD_WHITELIST = {
    # Variable.eval() compiles and runs its graph: a Theano convenience on a core object
    # (STYLE B2). STYLE B2's other one, verify_grad, lives in compile/function.py: no entry.
    ("core/variable.py", "eval"): "nbgraph.compile.function",
}

# The only place outside widgets allowed to import widgets (lazily, inside the function).
WIDGETS_HOOKS = {("__init__.py", "load_ipython_extension")}


@dataclass(frozen=True)
class Import:
    module: str           # the absolute module imported, e.g. "nbgraph.compile.function"
    line: int
    function: str | None  # outermost enclosing function, None at module level
    type_checking: bool   # under ``if TYPE_CHECKING:`` (never runs)


def module_name(rel: str) -> str:
    """``core/op.py`` -> ``nbgraph.core.op`` (a package's ``__init__`` is the package)."""
    parts = ["nbgraph", *Path(rel).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(rel: str, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        package = module_name(rel).split(".")
        if Path(rel).name != "__init__.py":
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


def imports_in(source: str, rel: str) -> list[Import]:
    """Every import statement of the module at ``rel`` (relative to the package)."""
    found: list[Import] = []

    def visit(node: ast.AST, function: str | None, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, function or child.name, type_checking)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                visit(child, function, True)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                names = [alias.name for alias in child.names] \
                    if isinstance(child, ast.Import) else _absolute(rel, child)
                found.extend(Import(name, child.lineno, function, type_checking)
                             for name in names)
            else:
                visit(child, function, type_checking)

    visit(ast.parse(source, filename=rel), None, False)
    return found


def _layer(module: str) -> str | None:
    """``nbgraph.compile.mode`` -> ``compile``; None outside nbgraph and for the root's
    metadata (``from .. import __version__``)."""
    parts = module.split(".")
    if parts[0] != "nbgraph" or len(parts) < 2 or parts[1].startswith("__"):
        return None
    return parts[1]


def upward_imports(rel: str, imports: list[Import]) -> list[str]:
    """The imports of ``rel`` that its layer may not make (comments do not matter)."""
    own = Path(rel).parts[0]
    allowed = MAY_IMPORT.get(own)
    bad = []
    for imp in imports:
        layer = _layer(imp.module)
        if allowed is None or layer is None or layer in allowed or imp.type_checking:
            continue
        if imp.function is not None and UPWARD_WHITELIST.get((rel, imp.function)) == imp.module:
            continue
        where = "at module level" if imp.function is None else f"inside {imp.function}()"
        bad.append(f"{rel}:{imp.line} imports {imp.module} {where}: {own} may import only "
                   f"{sorted(allowed)}")
    return bad


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _in_layer(*layers: str) -> list[Path]:
    return [p for p in MODULES if p.relative_to(PACKAGE).parts[0] in layers]


def test_the_layers_exist():
    # the checks below would pass vacuously on an empty package
    assert len(_in_layer("core")) >= 5
    assert len(_in_layer("compile")) >= 3
    assert len(_in_layer("gpu")) >= 3


@pytest.mark.parametrize("path", _in_layer(*MAY_IMPORT), ids=_rel)
def test_layers_import_only_layers_below(path):
    # core <- compile <- gpu: no upward import, lazy or not, outside UPWARD_WHITELIST
    bad = upward_imports(_rel(path), imports_in(path.read_text(), _rel(path)))
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("pair", sorted(UPWARD_WHITELIST))
def test_each_whitelisted_import_still_exists(pair):
    # a stale entry would silently allow a future import at that spot
    rel, function = pair
    found = {(i.function, i.module) for i in imports_in((PACKAGE / rel).read_text(), rel)}
    assert (function, UPWARD_WHITELIST[pair]) in found


@pytest.mark.parametrize("path", [p for p in MODULES if p.relative_to(PACKAGE).parts[0]
                                  != "widgets"], ids=_rel)
def test_nothing_below_widgets_imports_widgets(path):
    rel = _rel(path)
    for imp in imports_in(path.read_text(), rel):
        if _layer(imp.module) != "widgets":
            continue
        assert (rel, imp.function) in WIDGETS_HOOKS, f"{rel}:{imp.line} imports " \
            f"{imp.module}: widgets read the other layers; nothing outside widgets may " \
            f"import them"


@pytest.mark.parametrize(("rel", "source", "flagged"), [
    # a '# lazy' comment, or sitting inside a function, no longer makes an import legal
    ("core/foo.py", "def f():\n    from ..compile.function import function  # lazy\n", True),
    ("core/control.py", "from ..scan_module.scan import scan\n", True),
    ("core/shared.py", "def shared():\n    from ..gpu.types import gpu_shared  # lazy\n", True),
    ("compile/mode.py", "def get_mode():\n    from ..gpu.transfer import gpu_mode  # lazy\n",
     True),
    ("compile/linker.py", "import nbgraph.gpu.cuda_linker\n", True),
    ("gpu/types.py", "def f():\n    from ..widgets import views\n", True),
    # the whitelist is exact: the same import from another function of the file is flagged
    ("core/variable.py", "def eval():\n    from ..compile.function import eval_variable\n",
     False),
    ("core/variable.py", "def grad():\n    from ..compile.function import function\n", True),
    ("core/variable.py", "def eval():\n    from ..compile.mode import Mode\n", True),
    # below: allowed
    ("gpu/register.py", "from ..compile.mode import register_mode\n", False),
    ("compile/cache.py", "def key():\n    from .. import __version__\n", False),
    ("core/op.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                   "    from ..compile.linker import InnerCompiler\n", False),
])
def test_the_checker_flags_upward_imports(rel, source, flagged):
    assert bool(upward_imports(rel, imports_in(source, rel))) == flagged


def test_scan_module_only_re_exports():
    # a Theano module path: the Scan family lives in core (scan.py, scan_op.py, scan_grad.py)
    for path in (PACKAGE / "scan_module").glob("*.py"):
        tree = ast.parse(path.read_text())
        defined = [n.name for n in ast.walk(tree)
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        assert not defined, f"{_rel(path)} defines {defined}; it should only re-export"
        assert {_layer(i.module) for i in imports_in(path.read_text(), _rel(path))} <= \
            {"core", None}


def test_importing_nbgraph_loads_no_widgets_and_no_cupy():
    # nbgraph imports nbgraph.gpu (to register the CUDA linker and modes), never CuPy
    code = ("import sys, nbgraph, nbgraph.tensor, nbgraph.gradient; "
            "bad = sorted(m for m in sys.modules if m.startswith(('nbgraph.widgets', "
            "'ipywidgets', 'cupy', 'nbgraph.gpu.cuda_linker'))); "
            "ok = 'nbgraph.gpu' in sys.modules; print(bad, ok); sys.exit(1 if bad or not ok "
            "else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, f"import nbgraph: {result.stdout}{result.stderr}"
