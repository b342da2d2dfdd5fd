"""Theano's graph queries that libraries call (``theano.gof.graph.inputs``,
``is_same_graph``, ``scan_utils.equal_computations``), with Theano's exact semantics: their
orders and answers are what parameter lists and caches built on Theano depend on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .graph import Constant, Variable, ancestors, clone_graph

__all__ = ["stack_search", "inputs", "equal_computations", "is_same_graph", "clone"]


def stack_search(start: Sequence[Variable], expand: Callable[[Variable], Any],
                 mode: str = "bfs") -> list[Variable]:
    """Theano's ``stack_search``: every Variable reached from ``start`` through ``expand``,
    once each, breadth-first (``'bfs'``: from the front) or depth-first (``'dfs'``: the
    last Variable pushed is visited next)."""
    if mode not in ("bfs", "dfs"):
        raise ValueError(f"stack_search: mode must be 'bfs' or 'dfs', not {mode!r}")
    todo = list(start)
    seen: set[int] = set()
    found: list[Variable] = []
    position = 0
    while position < len(todo) if mode == "bfs" else todo:
        if mode == "bfs":
            var = todo[position]
            position += 1
        else:
            var = todo.pop()
        if id(var) in seen:
            continue
        seen.add(id(var))
        found.append(var)
        todo.extend(expand(var) or ())
    return found


def inputs(variable_list: Iterable[Variable], blockers: Iterable[Variable] | None = None
           ) -> list[Variable]:
    """The ownerless Variables ``variable_list`` depends on, in Theano's depth-first order
    (the last of ``variable_list`` is searched first, each node's inputs left to right)."""
    stop = {id(v) for v in blockers or ()}

    def expand(var: Variable) -> list[Variable] | None:
        if var.owner is not None and id(var) not in stop:
            return list(reversed(var.owner.inputs))
        return None

    return [v for v in stack_search(list(variable_list), expand, "dfs") if v.owner is None]


def _same_constant(x: Constant, y: Constant) -> bool:
    a, b = np.asarray(x.data), np.asarray(y.data)
    return x.type == y.type and a.shape == b.shape and bool(
        np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def equal_computations(xs: Sequence[Variable], ys: Sequence[Variable],
                       in_xs: Sequence[Variable] | None = None,
                       in_ys: Sequence[Variable] | None = None) -> bool:
    """Whether ``xs`` and ``ys`` compute the same thing: equal ops over corresponding inputs,
    where ``in_xs[i]`` corresponds to ``in_ys[i]``, constants match by value, and any other
    ownerless Variable only matches itself (Theano's ``scan_utils.equal_computations``)."""
    in_xs, in_ys = list(in_xs or ()), list(in_ys or ())
    if len(xs) != len(ys) or len(in_xs) != len(in_ys):
        raise ValueError("equal_computations: xs/ys and in_xs/in_ys must pair up")
    pairs: dict[int, int] = {id(x): id(y) for x, y in zip(in_xs, in_ys, strict=True)}
    todo = list(zip(xs, ys, strict=True))
    while todo:
        x, y = todo.pop()
        if id(x) in pairs:
            if pairs[id(x)] != id(y):
                return False
            continue
        if x.type != y.type:
            return False
        if x.owner is None or y.owner is None:
            if x.owner is not None or y.owner is not None:
                return False
            same = (x is y or (isinstance(x, Constant) and isinstance(y, Constant)
                               and _same_constant(x, y)))
            if not same:
                return False
            pairs[id(x)] = id(y)
            continue
        nx, ny = x.owner, y.owner
        if x.index != y.index or nx.op != ny.op or len(nx.inputs) != len(ny.inputs):
            return False
        pairs[id(x)] = id(y)
        todo.extend(zip(nx.inputs, ny.inputs, strict=True))
    return True


def is_same_graph(var1: Variable, var2: Variable,
                  givens: Mapping[Variable, Variable] | None = None) -> bool:
    """Whether ``var1`` and ``var2`` compute the same value when each key of ``givens`` stands
    for its value (Theano's ``gof.graph.is_same_graph``). A key may sit in either graph."""
    in_var1 = {id(v) for v in ancestors([var1])}
    pairs = [(k, v) if id(k) in in_var1 else (v, k) for k, v in (givens or {}).items()]
    return equal_computations([var1], [var2], [a for a, _ in pairs], [b for _, b in pairs])


def clone(output: Any, replace: Any = None, strict: bool = True,
          share_inputs: bool = True) -> Any:
    """Theano's ``theano.clone``: a copy of the graph computing ``output`` (a Variable or a
    list) with each key of ``replace`` (a dict or a list of pairs) replaced by its value.

    ``strict``: a replacement must have the type it replaces (``False`` allows any type
    the ops accept). ``share_inputs``: the copy reads the same input Variables (else fresh
    clones of them).

    >>> y2 = theano.clone(y, replace={x: 2 * x})
    """
    pairs = list(replace.items()) if isinstance(replace, Mapping) else list(replace or ())
    if strict:
        for old, new in pairs:
            if old.type != new.type:
                raise TypeError(f"clone: replacing {old} ({old.type}) by {new} ({new.type}) "
                                f"changes its type; cast it, or pass strict=False")
    outputs = list(output) if isinstance(output, (list, tuple)) else [output]
    memo = clone_graph(outputs, replace=dict(pairs), keep_inputs=share_inputs)
    copies = [memo.get(o, o) for o in outputs]
    if isinstance(output, (list, tuple)):
        return type(output)(copies)
    return copies[0]
