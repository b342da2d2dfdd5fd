"""The logic behind ``%%symgraph``, testable without IPython: run a cell, compile, build views.

``symgraph(namespace, outputs, grad, mode, profile, inputs, shapes)`` compiles the named
outputs (and gradients), calls the function on given or random inputs, and returns one
``SymGraph`` view with five tabs: Graph, Passes, Gradient, Code, Profile.
"""

from __future__ import annotations

import ast
import linecache
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ipywidgets as W  # type: ignore[import-untyped]  # ipywidgets ships no type information
import numpy as np

from ..compile.function import function
from ..core.gradient import grad as symbolic_grad
from ..core.graph import Apply, Constant, Variable, graph_inputs
from ..core.shared import SharedVariable
from ..core.variable import TensorVariable
from .dims import DEFAULT_DIM, input_shapes, smallest_dim
from .inner import failing_node
from .kernels import full_trace
from .layout import empty_view
from .passes import view_passes
from .static import View, esc
from .timing import time_calls
from .views import view_code, view_gradient, view_graph, view_profile

TABS = ("Graph", "Passes", "Gradient", "Code", "Profile")


class SymgraphError(ValueError):
    """The cell did not name compilable outputs, or an argument names nothing usable."""


def run_cell(source: str, namespace: dict[str, Any], name: str = "<symgraph cell>") -> Any:
    """Run ``source`` in ``namespace``; return its last expression's value (else None)."""
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)  # tracebacks
    tree = ast.parse(source, name)
    tail = tree.body[-1] if tree.body else None
    last = tail if isinstance(tail, ast.Expr) else None
    if last is not None:
        tree.body.pop()
    exec(compile(tree, name, "exec"), namespace)  # noqa: S102  (the user's own cell)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), name, "eval"), namespace)  # noqa: S307


def parse_assignments(items: Iterable[str], namespace: Mapping[str, Any]) -> dict[str, Any]:
    """``["x=np.ones(3)", "y=2"]`` -> values, each right side evaluated in ``namespace``."""
    values = {}
    for item in items:
        name, sep, expr = item.partition("=")
        if not sep or not name.strip() or not expr.strip():
            raise SymgraphError(f"--inputs: expected NAME=VALUE, got {item!r}")
        values[name.strip()] = eval(expr, dict(namespace))  # noqa: S307
    return values


def parse_shapes(items: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """``["x=3,4", "s="]`` -> ``{"x": (3, 4), "s": ()}`` for the random inputs."""
    shapes = {}
    for item in items:
        name, sep, dims = item.partition("=")
        try:
            shape = tuple(int(d) for d in dims.split(",") if d.strip())
        except ValueError:
            shape = None
        if not sep or not name.strip() or shape is None:
            raise SymgraphError(f"--shape: expected NAME=d0,d1,..., got {item!r}")
        shapes[name.strip()] = shape
    return shapes


def _flatten(value: Any, what: str) -> list[Variable]:
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    for item in items:
        if not isinstance(item, Variable):
            raise SymgraphError(f"{what} is a {type(item).__name__}, not a symbolic Variable")
    return items


def resolve_outputs(namespace: Mapping[str, Any], names: Sequence[str], last: Any) -> list:
    """The Variables to compile: the named ones, else the cell's last expression value."""
    if not names:
        if last is None:
            raise SymgraphError("%%symgraph: end the cell with an expression giving the "
                                "output(s), or name them with -o NAME")
        return _flatten(last, "the cell's last expression")
    outputs = []
    for name in names:
        if name not in namespace:
            raise SymgraphError(f"-o {name}: no such name in the notebook")
        outputs += _flatten(namespace[name], f"-o {name}")
    return outputs


def input_names(var: Variable, namespace: Mapping[str, Any]) -> set[str]:
    """Names a user may use for ``var``: its own name and every notebook name bound to it."""
    names = {k for k, v in namespace.items() if v is var}
    return names | ({var.name} if var.name else set())


def random_value(var: Variable, shape: tuple[int, ...], rng: np.random.Generator,
                 below: int = DEFAULT_DIM) -> np.ndarray:
    """A value of ``var``'s dtype and ``shape``; integers in ``[0, below)``."""
    dtype = np.dtype(var.type.dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        return rng.integers(0, below, shape).astype(dtype)
    # positive and away from 0, so log/sqrt/division graphs give finite numbers
    return rng.uniform(0.1, 1.0, shape).astype(dtype)


def call_values(fn_inputs: Sequence[Variable], namespace: Mapping[str, Any],
                given: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]],
                outputs: Sequence[Variable] = ()) -> list:
    """One value per function input: from ``given`` by name, else random (seed 0), shaped
    by ``shapes`` or by the dimensions the graph above ``outputs`` ties together
    (``dims.input_shapes``)."""
    rng = np.random.default_rng(0)
    known = set(given) | set(shapes)
    chosen: dict[Variable, Any] = {}
    fixed: dict[Variable, tuple[int, ...]] = {}
    for var in fn_inputs:
        names = sorted(input_names(var, namespace))
        value = next((given[n] for n in names if n in given), None)
        shape = next((shapes[n] for n in names if n in shapes), None)
        known -= set(names)
        if value is not None:
            chosen[var] = value
            fixed[var] = np.shape(value)
        elif shape is not None:
            fixed[var] = shape
    if known:
        raise SymgraphError(f"--inputs/--shape name {sorted(known)}, which are not inputs of "
                            f"the graph")
    sized = input_shapes(list(outputs), list(fn_inputs), fixed)
    below = smallest_dim(sized)
    return [chosen[var] if var in chosen else random_value(var, sized[var], rng, below)
            for var in fn_inputs]


def shape_hint(fn_inputs: Sequence[Variable], values: Sequence[Any],
               namespace: Mapping[str, Any]) -> str:
    """What the random inputs were, and how to choose them: a note for a failed call."""
    shown = []
    for var, value in zip(fn_inputs, values, strict=True):
        name = min(input_names(var, namespace) or {f"uid {var.uid}"})
        shown.append(f"{name}: {np.asarray(value).dtype}{list(np.shape(value))}")
    return ("%%symgraph called the function on " + ", ".join(shown) + "; set the sizes with "
            "--shape NAME=d0,d1 or the values with --inputs NAME=EXPR")


class SymGraph(View):
    """The result of ``symgraph``: the five-tab widget, its static HTML and the function."""

    def __init__(self, fn: Any, views: dict[str, View], outputs: list[Variable],
                 grads: list[Variable]):
        tab = W.Tab(children=[views[t].widget for t in TABS], titles=list(TABS))
        # static: each tab a <details> section (no JavaScript needed), the Graph one open
        parts = [f"<details{' open' if t == 'Graph' else ''}><summary><b>{t}</b>: "
                 f"{esc(views[t].text)}</summary>{views[t].summary}</details>" for t in TABS]
        text = f"symgraph: {'; '.join(views[t].text for t in TABS)}"
        plain = "\n\n".join(f"[{t}] {views[t].plain}" for t in TABS)
        super().__init__(tab, '<div class="nbgraph-symgraph">' + "".join(parts) + "</div>",
                         text, plain=plain)
        self.fn, self.views, self.outputs, self.grads = fn, views, outputs, grads

    def select(self, tab: str) -> SymGraph:
        """Open ``tab`` ('Graph', 'Passes', ...) in the widget."""
        self.widget.selected_index = TABS.index(tab)
        return self


def _gradients(outputs: list[Variable], wrt_names: Sequence[str],
               namespace: Mapping[str, Any]) -> list[Variable]:
    if not wrt_names:
        return []
    wrt = []
    for name in wrt_names:
        if name not in namespace:
            raise SymgraphError(f"--grad {name}: no such name in the notebook")
        wrt += _flatten(namespace[name], f"--grad {name}")
    first = outputs[0]
    if not isinstance(first, TensorVariable):
        raise SymgraphError(f"--grad: the first output is a {type(first).__name__}, not a "
                            "tensor")
    cost = first if first.ndim == 0 else first.sum()  # grad needs a scalar
    grads = symbolic_grad(cost, wrt)
    return list(grads) if isinstance(grads, (list, tuple)) else [grads]


def symgraph(namespace: Mapping[str, Any], outputs: Sequence[str] = (),
             grad: Sequence[str] = (), mode: Any = None, profile: bool = False,
             inputs: Mapping[str, Any] | None = None,
             shapes: Mapping[str, tuple[int, ...]] | None = None,
             last: Any = None, calls: int | None = None,
             seconds: float | None = None) -> SymGraph:
    """Compile the named outputs (or ``last``) and build the five-tab view.

    ``grad`` names Variables to differentiate the first output by (summed if not scalar);
    ``profile`` times real calls (one warm-up call, then ``calls`` calls or ``seconds`` of
    calls: ``timing.time_calls``) on ``inputs`` (values by input name) or on random inputs
    whose open dimensions the graph ties together (``dims.input_shapes``; ``shapes`` by
    name fix some). A call that fails in a node raises as usual, with the view (the node
    highlighted in the Graph tab) attached as ``err.symgraph`` and a note naming the inputs
    it was given and ``--shape``.

    >>> x = T.dvector('x')
    >>> view = symgraph({'x': x}, last=T.exp(x).sum(), grad=['x'])   # doctest: +SKIP
    """
    outs = resolve_outputs(namespace, outputs, last)
    grads = _gradients(outs, grad, namespace)
    mode = namespace.get(mode, mode) if isinstance(mode, str) else mode
    fn_inputs = [v for v in graph_inputs(outs + grads) if v.owner is None
                 and not isinstance(v, (Constant, SharedVariable))]
    fn = function(fn_inputs, outs + grads, mode=mode, profile=profile,
                  on_unused_input="ignore")
    views = {}
    failed: tuple[Exception, Apply] | None = None  # a call's error and the node it names
    timing = None
    if profile or inputs or shapes or calls or seconds:
        values = call_values(fn_inputs, namespace, inputs or {}, shapes or {}, outs + grads)
        try:
            timing = time_calls(fn, values, calls, seconds) if profile else None
            if not profile:
                fn(*values)
        except Exception as err:
            err.add_note(shape_hint(fn_inputs, values, namespace))
            node = failing_node(err)  # inside a scan's step: the step's own node
            if node is None:
                raise
            failed = (err, node)
    def cell_inputs() -> list:   # the Profile's inputs (seeded): what the bisect button uses
        return call_values(fn_inputs, namespace, inputs or {}, shapes or {}, outs + grads)
    views["Passes"] = view_passes(full_trace(fn), fn.maker.fgraph.toposort(), fn, cell_inputs)
    views["Code"] = view_code(fn)  # after the call: inner graphs compile on their first
    if grads:  # after the call: the optimized drawing shows concrete shapes
        views["Gradient"] = view_gradient(outs + grads, fn, len(outs))  # inner graphs opened
    else:
        views["Gradient"] = empty_view("Gradient", "no gradient: add --grad WRT")
    views["Profile"] = view_profile(fn, timing) if timing is not None else \
        empty_view("Profile", "no profile: run the cell with --profile")
    if failed is not None:
        error, node = failed
        message = f"{type(error).__name__}: {str(error).splitlines()[0]}"
        views["Graph"] = view_graph(fn, highlight=[node.uid], error=message)
    else:
        views["Graph"] = view_graph(fn)
    result = SymGraph(fn, views, outs, grads)
    if failed is not None:
        # the view rides on the user's own exception, which has no such declared attribute
        failed[0].symgraph = result.select("Graph")  # type: ignore[attr-defined]
        raise failed[0]
    return result
