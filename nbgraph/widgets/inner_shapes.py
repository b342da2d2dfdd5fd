"""Concrete shapes on the user's inner graphs after a call (the Graph tab's boxes).

The Graph tab draws the user's inner graphs (a scan's step, an ifelse's branches, an
OpFromGraph's body), whose Variables never hold values: what ran is the compiled inner
function (``inner_run.compiled_inner``), and a scan's step loop writes its rows straight into
the outer buffers. So the types come from what did hold values: each inner input is fed by
its outer Variable (a scan's ``x[t]``/``y[t-1]`` tap gets one row of its sequence or initial
state), each inner output gives one row of the scan's output or the compiled branch's output,
and a node in between has its inputs' broadcast shape (elementwise) or its op's
``infer_shape`` of their sizes (a dot). An inner graph that never
ran (the ifelse branch not taken) keeps its symbolic ``?``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from ..core.graph import Apply, Variable
from ..core.printing import inner_graphs
from ..ops.elemwise import Elemwise
from ..ops.subtensor import Subtensor
from .inner import Opened, inner_records, live_nodes
from .inner_run import compiled_inner

_SHAPE = re.compile(r"^(\w+)\[([^\]]*)\]$")


def _text(value: Any, steps: bool) -> str | None:
    """``float64[4]``: ``value``'s type, one row of it when ``steps`` (a scan's stack)."""
    if not isinstance(value, (np.ndarray, np.generic)) or (steps and np.ndim(value) == 0):
        return None
    shape = np.shape(value)[1:] if steps else np.shape(value)
    return f"{value.dtype}[{','.join(str(d) for d in shape)}]"


def _held(storage: Mapping[Variable, list[Any]], var: Variable) -> Any:
    cell = storage.get(var)
    return None if cell is None else cell[0]


def _scan_types(node: Apply, storage: Mapping[Variable, list[Any]]) -> dict[int, str]:
    """A scan step's per-step types: its taps' rows, its outputs' rows (inner uid -> type)."""
    op = node.op
    _, seqs, inits, nonseqs = op.split_outer(list(node.inputs))
    inner_seqs, inner_recs, inner_nonseqs = op.split_inner()
    found: dict[int, str | None] = {}
    for outers, inners in ((seqs, inner_seqs), (inits, inner_recs)):
        for var, taps in zip(outers, inners, strict=True):
            found |= {tap.uid: _text(_held(storage, var), steps=True) for tap in taps}
    found |= {inner.uid: _text(_held(storage, var), steps=False)
              for inner, var in zip(inner_nonseqs, nonseqs, strict=True)}
    for inner, var in zip(op.inner_outputs, node.outputs, strict=False):  # not `until`
        if inner.owner is not None and len(inner.owner.outputs) == 1:
            found[inner.owner.uid] = _text(_held(storage, var), steps=True)
    return {uid: text for uid, text in found.items() if text is not None}


def _branch_types(node: Apply, storage: Mapping[Variable, list[Any]],
                  ran: Mapping[str, Any]) -> dict[int, str]:
    """The types of the inner graphs that ran (``ran``: label -> compiled function): their
    inputs' outer values, their outputs' compiled values (inner uid -> type)."""
    found: dict[int, str | None] = {}
    for graph in inner_graphs(node):
        inner = ran.get(graph.label)
        if inner is None:
            continue
        read = {var for n in live_nodes(graph.outputs) for var in n.inputs}
        found |= {var.uid: _text(_held(storage, outer), steps=False)  # its own taps only
                  for var, outer in graph.outer.items() if var in read}
        compiled = inner.maker.fgraph.outputs
        for mine, theirs in zip(graph.outputs, compiled, strict=True):
            if mine.owner is not None and len(mine.owner.outputs) == 1:
                found[mine.owner.uid] = _text(_held(inner.storage_map, theirs), steps=False)
    return {uid: text for uid, text in found.items() if text is not None}


def _shape(text: str) -> tuple[str, tuple[int, ...]] | None:
    found = _SHAPE.match(text)
    if found is None or "?" in found.group(2):
        return None
    dims = found.group(2)
    return found.group(1), tuple(int(d) for d in dims.split(",")) if dims else ()


def _size(entry: Any) -> int | None:
    """An ``infer_shape`` entry as an int: an int, or a constant's; None for a Variable."""
    entry = getattr(entry, "data", entry)
    return int(entry) if isinstance(entry, (int, np.integer)) or \
        (isinstance(entry, np.ndarray) and entry.ndim == 0 and entry.dtype.kind in "iu") \
        else None


def _sliced(node: Apply, shape: tuple[int, ...]) -> list[int | None]:
    """A Subtensor's output shape, by indexing a zero-strided stand-in of ``shape`` (a view:
    nothing is computed) with its constant bounds; unknown for bounds that are Variables."""
    bounds = [getattr(var, "data", None) for var in node.inputs[1:]]
    if any(bound is None for bound in bounds):
        return [None]
    stand_in = np.broadcast_to(np.zeros((), dtype=node.inputs[0].dtype), shape)
    cell: list[Any] = [None]
    node.op.perform(node, [stand_in, *bounds], [cell])
    return list(np.shape(cell[0]))


def _inferred(node: Apply, shapes: list[tuple[str, tuple[int, ...]] | None]) -> str | None:
    """The type of ``node``'s one output from its inputs' concrete shapes: the broadcast
    shape for an elementwise op, else its op's ``infer_shape`` where that gives plain
    sizes (a dot); None when an input's shape or the answer is not known."""
    if len(node.outputs) != 1 or not shapes or any(s is None for s in shapes):
        return None
    dims = [s[1] for s in shapes if s is not None]
    try:
        if isinstance(node.op, Elemwise):
            sizes: list[int | None] = list(np.broadcast_shapes(*dims))
        elif isinstance(node.op, Subtensor):  # the gates' z[8:16]: its infer_shape is symbolic
            sizes = _sliced(node, dims[0])
        else:
            sizes = [_size(d) for d in node.op.infer_shape(node, dims)[0]]
    # a display heuristic: an op without infer_shape, or one that cannot take plain ints,
    # leaves its edge symbolic rather than failing the drawing
    except Exception:  # noqa: BLE001
        return None
    if any(d is None for d in sizes) or len(sizes) != node.outputs[0].ndim:
        return None
    return f"{node.outputs[0].dtype}[{','.join(str(d) for d in sizes)}]"


def ran_opener(fn: Any) -> Callable[[Apply], Opened | None]:
    """``expand_inner``'s opener for the Graph tab of a Function that ran: the user's inner
    graphs (``inner.inner_records``), each record in an inner graph that ran given its
    concrete (per step) type, the nodes in between theirs from their inputs' (``_inferred``)."""
    storage = getattr(fn, "storage_map", None) or {}
    ran: dict[Apply, dict[str, Any]] = {}
    for node, label, inner in compiled_inner(fn):
        ran.setdefault(node, {})[label] = inner

    def open_node(node: Apply) -> Opened:
        records, feeds, clusters, wired = inner_records(node)
        if node not in ran:
            return records, feeds, clusters, wired
        if hasattr(node.op, "split_outer"):  # a scan: its rows, once it has some
            ran_yet = _held(storage, node.outputs[0]) is not None
            types = _scan_types(node, storage) if ran_yet else {}
        else:
            types = _branch_types(node, storage, ran[node])
        if not types:
            return records, feeds, clusters, wired
        applies = {n.uid: n for g in inner_graphs(node) if g.label in ran[node]
                   for n in live_nodes(g.outputs)}  # not the branch not taken
        typed = []
        for rec in records:  # topological order: a node's inputs come first
            node_of = applies.get(rec.uid)
            if rec.uid not in types and node_of is not None:
                text = _inferred(node_of, [_shape(types.get(uid, "?")) for uid in rec.inputs])
                if text is not None:
                    types[rec.uid] = text
            if rec.uid not in types and _shape(rec.type) is not None:
                types[rec.uid] = rec.type  # a constant, a broadcast DimShuffle: known anyway
            typed.append(replace(rec, type=types.get(rec.uid, rec.type)))
        return typed, feeds, clusters, wired

    return open_node
