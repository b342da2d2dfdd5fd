"""Linkers turn a graph's nodes into thunks: the Python linker runs each op's ``perform``."""

from __future__ import annotations

import inspect
from typing import Any

from ..core.graph import Apply, Variable


class PythonLinker:
    """One thunk per node calling the op's NumPy ``perform`` (the reference backend)."""

    name = "py"

    def make_thunks(self, fgraph: Any, nodes: list[Apply], storage: dict[Variable, list],
                    profile: Any = None) -> tuple[list[Any], dict[Apply, str]]:
        thunks = []
        for node in nodes:
            in_cells = [storage[v] for v in node.inputs]
            out_cells = [storage[v] for v in node.outputs]
            thunks.append(node.op.make_thunk(node, in_cells, out_cells))
        return thunks, {node: python_source(node) for node in nodes}


def python_source(node: Apply) -> str:
    """The Python that computes ``node`` (its op's ``perform``), for the Code view."""
    try:
        return inspect.getsource(type(node.op).perform)
    except (OSError, TypeError):
        return f"# {node.op}: source unavailable"


def get_linker(name: str) -> Any:
    if hasattr(name, "make_thunks"):  # a linker object (DebugMode, NanGuardMode wrap one)
        return name
    if name in ("py", "vm", "python"):
        return PythonLinker()
    if name in ("c", "cvm", "c|py", "cvm_nogc"):
        from .c_linker import CLinker  # lazy: cffi and the compiler load only when used
        return CLinker()
    if name in ("cuda", "gpu"):
        from ..gpu.cuda_linker import CudaLinker
        return CudaLinker()
    raise ValueError(f"unknown linker {name!r}; use 'py' or 'c'")
