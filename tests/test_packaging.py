"""`pip install nbgraph` is the library alone; `nbgraph[notebook]` adds the views; the
README's `.ci/setup` (and `.ci/lab`, which runs it) installs both."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!\[; ]", req, maxsplit=1)[0].lower() for req in requirements}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_library_alone_needs_numpy_and_cffi_only():
    assert _names(_project()["dependencies"]) == {"numpy", "cffi"}


def test_notebook_extra_adds_widgets_graphviz_and_jupyterlab():
    extra = _names(_project()["optional-dependencies"]["notebook"])
    assert {"ipywidgets", "graphviz", "jupyterlab", "pygments"} <= extra


def test_ci_setup_installs_the_notebook_test_and_jax_extras():
    setup = (ROOT / ".ci" / "setup").read_text()
    default = re.search(r'extras="\$\{NBGRAPH_EXTRAS:-([^}]*)\}"', setup)
    # jax: the JAX linker's tests run in CI too (issue 19)
    assert default is not None and set(default.group(1).split(",")) == {"notebook", "test", "jax"}
    assert "bash .ci/setup" in (ROOT / ".ci" / "lab").read_text()


def test_import_loads_no_notebook_package():
    code = ("import sys, nbgraph, nbgraph.tensor; "
            "print(sorted(m for m in ('ipywidgets', 'IPython', 'pygments', 'graphviz', "
            "'jupyterlab') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.strip()
    assert out == "[]"
