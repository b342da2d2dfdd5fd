"""Small constant operands written into their op's label: ``Gemv{no_inplace}`` reading
``y=[0.0]``, ``α=1.0``, ``β=0.0`` is drawn as one node labelled ``Gemv{no_inplace}\\ny=[0.0]
α=1.0 β=0.0``, not as four (a logistic regression's gradient: 1266 pt wide -> under 1125).

A small constant is a scalar or a one-element constant with a short value (BLAS's alpha and
beta, ``1 - t``'s ``[1.0]``, ``x > 0``'s ``0.0``), or such a scalar broadcast
(``InplaceDimShuffle{x}`` of ``2.0`` in ``x * 2``, before constant folding). It stays a node
(and an edge) where it is the op's only input, the data of an ``Alloc``, an input of an op
with an inner graph (its inputs are wired by position into the step), read by an indexing
op (``index_bounds`` folds those bounds), an output, or marked by a view. Ops with named
inputs (``Gemv``, ``Gemm``) name them; others write their call, ``·`` for each drawn input:
``sub`` of ``[1.0]`` and ``t`` reads ``sub\\n([1.0], ·)``. Like ``index_bounds`` this works
on plain records, so a live graph and a replayed trace fold alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from .records import drop_unread, leaf_kind, without_inputs

__all__ = ["fold_small_constants", "small_value"]

_CONSTANT = re.compile(r"^\w*Constant\{(.+)\}$")
_BROADCAST = re.compile(r"^(?:Inplace)?DimShuffle\{x(?:,x)*\}$")  # only new axes, of a scalar
_ONE_ELEMENT = re.compile(r"^\w+\[(?:1(?:,1)*)?\]$")  # float64[], float64[1], int8[1,1]
MAX_VALUE = 10  # longer values (``[0.5 0.25]``, ``(1,) of 1.0``) stay nodes
_ROLES = {"Gemv": ("y", "α", "A", "x", "β"), "Gemm": ("z", "α", "x", "y", "β")}
# ops whose inputs are wired by position into an inner graph, or read as an index
_NEVER = re.compile(r"^(Scan|IfElse|OpFromGraph)\b|Subtensor")
_DATA = {"Alloc": (0,)}  # the value an Alloc fills with is its data, its sizes are not
_CALL_UP_TO = 4  # ops with more inputs name a folded one by position: ``i5=0``


def small_value(record: Any) -> str | None:
    """The value text of a small constant record (``1.0``, ``[0.0]``), else None."""
    found = _CONSTANT.match(record.label)
    if (leaf_kind(record) != "constant" or found is None or len(found.group(1)) > MAX_VALUE
            or not _ONE_ELEMENT.match(record.type)):
        return None
    return found.group(1)


def _small(uid: int, by_uid: dict[int, Any], keep: set[int]) -> str | None:
    """The value a record reads at ``uid`` if it is a small constant, or a broadcast of one."""
    source = by_uid.get(uid)
    if source is None or uid in keep:
        return None
    if _BROADCAST.match(source.label) and len(source.inputs) == 1 and source.type.endswith("]"):
        inner = by_uid.get(source.inputs[0])
        return small_value(inner) if inner is not None and inner.uid not in keep else None
    return small_value(source)


def _named(uid: int, by_uid: dict[int, Any]) -> str:
    """``#12 TensorConstant{1.0}``; a broadcast: ``#13 InplaceDimShuffle{x} of #12 ...``."""
    source = by_uid[uid]
    text = f"#{uid} {source.label}"
    return text + f" of {_named(source.inputs[0], by_uid)}" if source.inputs else text


def _op_name(label: str) -> str:
    return re.split(r"[{\s(]", label, maxsplit=1)[0]


def _slots(record: Any, by_uid: dict[int, Any], keep: set[int]) -> dict[int, str]:
    """Input position -> value of each small constant ``record`` reads that can be folded."""
    if leaf_kind(record) is not None or _NEVER.search(record.label) or len(record.inputs) < 2:
        return {}
    data = _DATA.get(_op_name(record.label), ())
    slots = {}
    for k, uid in enumerate(record.inputs):
        value = _small(uid, by_uid, keep)
        if value is not None and k not in data:
            slots[k] = value
    return slots if len(slots) < len(record.inputs) else {}  # something must stay drawn


def _args_line(label: str, count: int, slots: dict[int, str]) -> str:
    roles = _ROLES.get(_op_name(label))
    if roles is not None and len(roles) == count:
        return " ".join(f"{roles[k]}={value}" for k, value in sorted(slots.items()))
    if count > _CALL_UP_TO:
        return " ".join(f"i{k}={value}" for k, value in sorted(slots.items()))
    return "(" + ", ".join(slots.get(k, "·") for k in range(count)) + ")"


def fold_small_constants(records: Sequence[Any], keep: Iterable[int] = ()
                         ) -> tuple[tuple[Any, ...], dict[int, str]]:
    """``records`` with small constant operands written into their consumers' labels (a
    second line), and a tooltip line per folded consumer (its op, the constants by uid).

    A folded constant's edge is dropped; the constant itself (and the broadcast of it) is
    dropped when nothing reads it any more. Constants in ``keep`` (outputs, marked nodes)
    are not folded.

    Examples
    --------
    >>> import nbgraph.tensor as T
    >>> from nbgraph.core.records import snapshot_records
    >>> t = T.dvector('t')
    >>> records, _ = snapshot_records([T.gt(t, 0.0)])
    >>> [r.label for r in fold_small_constants(records)[0]]
    ['t', 'Elemwise{gt,no_inplace}\\n(·, 0.0)']
    """
    keep = set(keep)
    by_uid = {rec.uid: rec for rec in records}
    folded: list[Any] = []
    notes: dict[int, str] = {}
    dropped: set[int] = set()
    for rec in records:
        slots = _slots(rec, by_uid, keep)
        if not slots:
            folded.append(rec)
            continue
        notes[rec.uid] = f"{rec.label}, constants: " + ", ".join(
            _named(rec.inputs[k], by_uid) for k in sorted(slots))
        for k in slots:
            dropped.add(rec.inputs[k])
            dropped.update(by_uid[rec.inputs[k]].inputs)  # a broadcast's constant
        args = _args_line(rec.label, len(rec.inputs), slots)
        folded.append(without_inputs(rec, slots, f"{rec.label}\n{args}"))
    return drop_unread(folded, dropped, keep), notes
