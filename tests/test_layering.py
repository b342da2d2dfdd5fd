"""The layer contract (DESIGN §3), checked by parsing every module's imports.

Stages import only downward: core <- ops <- rewrite <- codegen <- link <- compile <- gpu, and
widgets read them all; nothing imports widgets. Module-level imports form no cycle. An import
inside a function is allowed only for an optional heavy dependency (CuPy, SciPy, IPython,
JAX) and for the few (file, function) pairs whitelisted below; comments excuse nothing.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from nbgraph.core.tensor_math import MATH

PACKAGE = Path(__file__).resolve().parent.parent / "nbgraph"

# The stages, lowest first: each may import itself and the stages before it (and ``config``
# and ``version``, which every stage reads). The upper stages register what they add in small
# tables of the lower ones instead of being imported (gpu: linkers, modes, shared
# constructors; ops: the tensor math that core's variables and autodiff call, MATH in
# core/tensor_math.py).
ORDER = ("core", "ops", "rewrite", "codegen", "link", "compile", "gpu")
MAY_IMPORT = {stage: {*ORDER[: i + 1], "config", "version"} for i, stage in enumerate(ORDER)}

# Theano's module paths re-export (they may import any stage, never widgets)
THEANO_PATHS = {"tensor", "sandbox", "scan_module", "misc", "gradient", "ifelse", "printing",
                "scalar", "gof", "gpuarray", "sparse", "tests"}

# The only imports of nbgraph modules inside functions: (file, function) -> the module.
FUNCTION_IMPORTS = {
    # Variable.eval() compiles and runs its graph: a Theano convenience on a core object
    ("core/variable.py", "eval"): "nbgraph.compile.function",
    # %load_ext nbgraph: widgets (and IPython, ipywidgets) load only in a notebook
    ("__init__.py", "load_ipython_extension"): "nbgraph.widgets.magic",
    # the JAX linker's translations import JAX: loaded only when a function uses the linker
    ("link/jax_linker.py", "__init__"): "nbgraph.link.jax_ops",
}

# What else a function may import: optional heavy dependencies, loaded when first used
OPTIONAL_HEAVY = {"cupy", "scipy", "IPython", "jax", "jaxlib"}


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
    """The imports of ``rel`` that its stage may not make (comments do not matter)."""
    own = Path(rel).parts[0]
    allowed = MAY_IMPORT.get(own)
    bad = []
    for imp in imports:
        layer = _layer(imp.module)
        if allowed is None or layer is None or layer in allowed or imp.type_checking:
            continue
        if imp.function is not None and FUNCTION_IMPORTS.get((rel, imp.function)) == imp.module:
            continue
        where = "at module level" if imp.function is None else f"inside {imp.function}()"
        bad.append(f"{rel}:{imp.line} imports {imp.module} {where}: {own} may import only "
                   f"{sorted(allowed)}")
    return bad


def function_imports(rel: str, imports: list[Import]) -> list[str]:
    """Imports inside functions that are neither whitelisted nor optional heavy packages."""
    bad = []
    for imp in imports:
        if imp.function is None or imp.type_checking:
            continue
        top = imp.module.split(".")[0]
        if top == "nbgraph":
            if FUNCTION_IMPORTS.get((rel, imp.function)) == imp.module:
                continue
        elif top in OPTIONAL_HEAVY:
            continue
        bad.append(f"{rel}:{imp.line} imports {imp.module} inside {imp.function}(): import it "
                   f"at module level (only {sorted(OPTIONAL_HEAVY)} load lazily)")
    return bad


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _in_layer(*layers: str) -> list[Path]:
    return [p for p in MODULES if p.relative_to(PACKAGE).parts[0] in layers]


def _stage(path: Path) -> str:
    return Path(_rel(path)).with_suffix("").parts[0]


def import_graph() -> dict[str, set[str]]:
    """module -> the nbgraph modules its module-level code imports (``from pkg import name``
    names the submodule when ``name`` is one; a parent package's ``__init__`` is not counted,
    it runs before any of its submodules)."""
    known = {module_name(_rel(p)) for p in MODULES}
    graph: dict[str, set[str]] = {}
    for path in MODULES:
        rel = _rel(path)
        edges = set()
        for imp in imports_in(path.read_text(), rel):
            if imp.function is None and not imp.type_checking and imp.module in known:
                edges.add(imp.module)
        graph[module_name(rel)] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_stages_exist():
    # the checks below would pass vacuously on an empty package
    for stage in ORDER:
        assert _in_layer(stage), f"no module in nbgraph/{stage}/"
    # cache: ``python -m nbgraph.cache``, the compile cache's command line (reads link)
    assert {_stage(p) for p in MODULES} <= {*ORDER, *THEANO_PATHS, "widgets", "config",
                                           "version", "__init__", "cache"}


@pytest.mark.parametrize("path", _in_layer(*MAY_IMPORT), ids=_rel)
def test_stages_import_only_stages_below(path):
    bad = upward_imports(_rel(path), imports_in(path.read_text(), _rel(path)))
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_functions_import_only_heavy_optional_packages(path):
    bad = function_imports(_rel(path), imports_in(path.read_text(), _rel(path)))
    assert not bad, "\n".join(bad)


def test_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("pair", sorted(FUNCTION_IMPORTS))
def test_each_whitelisted_import_still_exists(pair):
    # a stale entry would silently allow a future import at that spot
    rel, function = pair
    found = {(i.function, i.module) for i in imports_in((PACKAGE / rel).read_text(), rel)}
    assert (function, FUNCTION_IMPORTS[pair]) in found


@pytest.mark.parametrize("path", [p for p in MODULES if _stage(p) != "widgets"], ids=_rel)
def test_nothing_below_widgets_imports_widgets(path):
    rel = _rel(path)
    for imp in imports_in(path.read_text(), rel):
        if _layer(imp.module) != "widgets":
            continue
        assert FUNCTION_IMPORTS.get((rel, imp.function)) == imp.module, \
            f"{rel}:{imp.line} imports {imp.module}: widgets read the other layers; nothing " \
            f"outside widgets may import them"


@pytest.mark.parametrize(("rel", "source", "flagged"), [
    # a '# lazy' comment, or sitting inside a function, no longer makes an import legal
    ("core/foo.py", "def f():\n    from ..compile.function import function  # lazy\n", True),
    ("core/variable.py", "from ..ops.math import add\n", True),
    ("ops/math.py", "from ..rewrite.engine import rule\n", True),
    ("codegen/kernel.py", "from ..link.vm import VM\n", True),
    ("link/vm.py", "from ..compile.function import function\n", True),
    ("compile/mode.py", "def get_mode():\n    from ..gpu.transfer import gpu_mode  # lazy\n",
     True),
    ("gpu/types.py", "def f():\n    from ..widgets import views\n", True),
    # the whitelist is exact: the same import from another function of the file is flagged
    ("core/variable.py", "def grad():\n    from ..compile.function import function\n", True),
    ("core/variable.py", "def eval():\n    from ..compile.mode import Mode\n", True),
    # below: allowed
    ("core/variable.py", "def eval():\n    from ..compile.function import function\n",
     False),
    ("gpu/register.py", "from ..compile.mode import register_mode\n", False),
    ("link/c_linker.py", "from ..codegen.kernel import Kernel\n", False),
    ("core/op.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                   "    from ..link.linker import PythonLinker\n", False),
])
def test_the_checker_flags_upward_imports(rel, source, flagged):
    assert bool(upward_imports(rel, imports_in(source, rel))) == flagged


@pytest.mark.parametrize(("source", "flagged"), [
    ("def f():\n    from .graph import Apply\n", True),
    ("def f():\n    import warnings\n", True),
    ("def f():\n    import cupy\n", False),
    ("def f():\n    from scipy import special\n", False),
    ("import warnings\n", False),
])
def test_the_checker_flags_function_imports(source, flagged):
    assert bool(function_imports("ops/foo.py", imports_in(source, "ops/foo.py"))) == flagged


def test_theano_paths_only_re_export():
    # Theano's module paths are doors into the stages: no function or class is defined there
    for path in MODULES:
        if _stage(path) not in THEANO_PATHS:
            continue
        tree = ast.parse(path.read_text())
        defined = [n.name for n in ast.walk(tree)
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        assert not defined, f"{_rel(path)} defines {defined}; it should only re-export"


def test_importing_nbgraph_loads_no_widgets_and_no_cupy():
    # nbgraph imports nbgraph.gpu (to register the CUDA linker and modes), never CuPy
    code = ("import sys, nbgraph, nbgraph.tensor, nbgraph.gradient; "
            "bad = sorted(m for m in sys.modules if m.startswith(('nbgraph.widgets', "
            "'ipywidgets', 'cupy', 'IPython'))); "
            "ok = 'nbgraph.gpu' in sys.modules; print(bad, ok); sys.exit(1 if bad or not ok "
            "else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, f"import nbgraph: {result.stdout}{result.stderr}"


def test_every_math_name_resolves():
    # core and the low op modules call the op library through MATH (core/tensor_math.py);
    # a misspelt or removed name would fail only when that line runs, so check them all here
    used = set()
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id in ("MATH", "T") and _uses_math(path):
                used.add((node.attr, _rel(path)))
    assert len(used) > 40  # variables' operators, grad, the scalar table's gradient rules
    missing = [f"{rel}: MATH.{name}" for name, rel in sorted(used)
               if not callable(getattr(MATH, name, None))]
    assert not missing, "\n".join(missing)


def _uses_math(path: Path) -> bool:
    # ``T`` is MATH in ops/scalar.py only; elsewhere ``T`` may be another name
    return any(imp.module.endswith("core.tensor_math") and imp.function is None
               for imp in imports_in(path.read_text(), _rel(path)))
