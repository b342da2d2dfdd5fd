"""MonitorMode: call user hooks before and after every node, with its input/output cells.

Theano's ``theano.compile.MonitorMode``: ``pre_func(i, node, fn)`` and ``post_func(i, node,
fn)`` get the node's position, the Apply node, and ``fn`` whose ``inputs``/``outputs`` are the
node's one-element storage cells (``fn.outputs[0][0]`` is the first output's value).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from ..core.graph import Apply, Variable
from ..core.op import InnerCompiler
from ..link.registry import get_linker
from .base_mode import Mode

Hook = Callable[[int, Apply, Any], None]


class MonitorLinker:
    """Wraps another linker; runs the hooks around each thunk."""

    def __init__(self, inner: Any = "py", pre_func: Hook | None = None,
                 post_func: Hook | None = None):
        self.inner, self.pre_func, self.post_func = inner, pre_func, post_func
        self.name = f"monitor({inner})"

    def make_thunks(self, fgraph: Any, nodes: list[Apply], storage: dict[Variable, list],
                    profile: Any, compiler: InnerCompiler
                    ) -> tuple[list[Any], dict[Apply, str]]:
        thunks, source = get_linker(self.inner).make_thunks(fgraph, nodes, storage, profile,
                                                               compiler)
        return [self._wrap(i, node, thunk, storage) for i, (node, thunk) in
                enumerate(zip(nodes, thunks, strict=True))], source

    def _wrap(self, i: int, node: Apply, thunk: Any, storage: dict[Variable, list]) -> Any:
        cells = SimpleNamespace(inputs=[storage[v] for v in node.inputs],
                                outputs=[storage[v] for v in node.outputs])

        def monitored() -> None:
            if self.pre_func is not None:
                self.pre_func(i, node, cells)
            thunk()
            if self.post_func is not None:
                self.post_func(i, node, cells)

        return monitored


class MonitorMode(Mode):
    """``MonitorMode(pre_func=None, post_func=None, optimizer='fast_run', linker='py')``.

    >>> def show(i, node, fn):
    ...     print(i, node, [out[0] for out in fn.outputs])
    >>> f = nbgraph.function([x], 5 * x, mode=MonitorMode(post_func=show))
    >>> f(3)
    0 Elemwise{mul,no_inplace}(TensorConstant{5.0}, x) [array(15.)]
    array(15.)
    """

    def __init__(self, pre_func: Hook | None = None, post_func: Hook | None = None,
                 optimizer: Any = "fast_run", linker: Any = "py"):
        super().__init__(MonitorLinker(linker, pre_func, post_func), optimizer)
