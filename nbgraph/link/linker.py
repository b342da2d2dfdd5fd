"""Linkers turn a graph's nodes into thunks: the Python linker runs each op's ``perform``.

The table of linkers by name is in registry.py; the InnerCompiler that ``function`` lends
linkers for ops with inner graphs (Scan, IfElse) is compile/inner.py.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..core.graph import Apply, Variable
from ..core.op import InnerCompiler


class PythonLinker:
    """One thunk per node calling the op's NumPy ``perform`` (the reference backend).

    Ops with inner graphs (Scan, IfElse) compile them with ``compiler``, which ``function``
    lends every linker (the C linker falls back to this one with the compiler it was given).
    """

    name = "py"
    # a thunk that raises has written nothing (each ``perform`` computes, then stores): the
    # contract that lets a call's in-place updates skip copying (compile/atomic.py)
    fails_before_writing = True

    def make_thunks(self, fgraph: Any, nodes: list[Apply], storage: dict[Variable, list],
                    profile: Any, compiler: InnerCompiler
                    ) -> tuple[list[Any], dict[Apply, str]]:
        thunks = []
        for node in nodes:
            in_cells = [storage[v] for v in node.inputs]
            out_cells = [storage[v] for v in node.outputs]
            thunks.append(node.op.make_thunk(node, in_cells, out_cells, compiler=compiler))
        return thunks, {node: python_source(node) for node in nodes}


def python_source(node: Apply) -> str:
    """The Python that computes ``node`` (its op's ``perform``), for the Code view."""
    try:
        return inspect.getsource(type(node.op).perform)
    except (OSError, TypeError):
        return f"# {node.op}: source unavailable"
