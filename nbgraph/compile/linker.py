"""Linkers turn a graph's nodes into thunks: the Python linker runs each op's ``perform``.

Also the table of linkers by name (``nbgraph.gpu`` adds 'cuda' when imported, so compile never
imports gpu) and ``InnerCompiler``, what a linker lends ops with inner graphs (Scan, IfElse).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from ..core.graph import Apply, Variable


class InnerCompiler:
    """Compiles an op's inner graph (Scan's step, IfElse's branches) with the outer function's
    linker: the ``compiler`` of ``Op.make_thunk`` (the protocol in core/op.py).

    The op's own mode (``scan(..., mode=)``) wins; otherwise the inner function gets the
    default mode's rewrites (``config.mode``) and the outer linker.
    """

    def __init__(self, linker: Any):
        from ..config import config
        name = getattr(linker, "name", type(linker).__name__)
        # by name where it is one, so each inner function gets a fresh linker as any function
        self.linker = name if name in LINKERS else linker
        self.key: Hashable = ("compiled", name, str(config.mode), config.device)

    def function(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
                 mode: Any = None) -> Callable[..., list[Any]]:
        from .function import function  # lazy: function.py imports this module
        from .mode import Mode, get_mode
        if mode is None:
            mode = Mode(self.linker, get_mode(None).optimizer)
        fn = function(list(inputs), list(outputs), mode=mode, on_unused_input="ignore",
                      no_default_updates=True)
        fn.trust_input = True  # the op passes arrays of the inner inputs' types
        return fn

    def __repr__(self) -> str:
        return f"InnerCompiler({self.key[1]!r})"


class PythonLinker:
    """One thunk per node calling the op's NumPy ``perform`` (the reference backend).

    ``PythonLinker(outer)``: a fallback of linker ``outer`` (the C linker without kernels),
    which then still compiles inner graphs.
    """

    name = "py"

    def __init__(self, outer: Any = None):
        self.compiler = InnerCompiler(self if outer is None else outer)

    def make_thunks(self, fgraph: Any, nodes: list[Apply], storage: dict[Variable, list],
                    profile: Any = None) -> tuple[list[Any], dict[Apply, str]]:
        thunks = []
        for node in nodes:
            in_cells = [storage[v] for v in node.inputs]
            out_cells = [storage[v] for v in node.outputs]
            thunks.append(node.op.make_thunk(node, in_cells, out_cells, compiler=self.compiler))
        return thunks, {node: python_source(node) for node in nodes}


def python_source(node: Apply) -> str:
    """The Python that computes ``node`` (its op's ``perform``), for the Code view."""
    try:
        return inspect.getsource(type(node.op).perform)
    except (OSError, TypeError):
        return f"# {node.op}: source unavailable"


def _c_linker() -> Any:
    from .c_linker import CLinker  # lazy: cffi and the compiler load only when used
    return CLinker()


# linker name -> factory; ``register_linker`` adds more (nbgraph.gpu: 'cuda', 'gpu')
LINKERS: dict[str, Callable[[], Any]] = {
    **dict.fromkeys(("py", "vm", "python"), PythonLinker),
    **dict.fromkeys(("c", "cvm", "c|py", "cvm_nogc"), _c_linker),
}


def register_linker(names: Sequence[str], factory: Callable[[], Any]) -> None:
    """Make ``Mode(linker=name)`` build its linker with ``factory()`` (called per function).

    >>> register_linker(("cuda", "gpu"), cuda_linker)   # what nbgraph.gpu does on import
    """
    for name in names:
        LINKERS[name] = factory


def get_linker(name: Any) -> Any:
    if hasattr(name, "make_thunks"):  # a linker object (DebugMode, NanGuardMode wrap one)
        return name
    factory = LINKERS.get(name)
    if factory is None:
        raise ValueError(f"unknown linker {name!r}; use one of {sorted(LINKERS)}")
    return factory()
