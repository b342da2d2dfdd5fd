"""Constant slice bounds folded into their indexing op's label: ``Subtensor{8:16}``.

``x[8:16]`` is a ``Subtensor{int64:int64:}`` reading two integer constants; drawn as nodes,
each gate slice of an LSTM step took three columns. ``fold_bounds`` writes the constants
into the label (Theano's index list with the value where it prints the dtype) and drops
their edges; a constant nothing else reads is not drawn, one that is also a real data input
(``set_subtensor(x[1:3], 0.0)``'s ``0.0``, or the same ``8`` added somewhere) still is.
It works on plain records (labels and uids) so a live graph and a replayed trace fold alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from .records import drop_unread, leaf_kind, without_inputs

__all__ = ["bound_constants", "fold_bounds"]

# ``Subtensor{int64:int64:}``, ``IncSubtensor{Set;::, int64}``: an op's index list, each
# entry a scalar index or a start:stop:step slice whose parts name the dtype of the scalar
# input that gives them (or, folded, its value); ``AdvancedIncSubtensor{inplace,set}`` has
# no such list and never matches
_INDEXING = re.compile(r"^(\w*Subtensor\w*)\{((?:\w+;)?)([^{}]*)\}$")
_INT_DTYPE = re.compile(r"^u?int(8|16|32|64)$")
_FOLDED = re.compile(r"^-?\d+$")
_INT_CONSTANT = re.compile(r"^\w*Constant\{(-?\d+)\}$")


def _index_list(label: str) -> tuple[str, str, list[list[str]]] | None:
    """(op name, mode prefix, entries as lists of parts) of an indexing label, or None."""
    found = _INDEXING.match(label)
    if found is None:
        return None
    entries = [entry.split(":") for entry in found.group(3).split(", ")]
    for parts in entries:
        if len(parts) > 3 or not all(p == "" or _INT_DTYPE.match(p) or _FOLDED.match(p)
                                     for p in parts):
            return None
    return found.group(1), found.group(2), entries


def _placeholders(entries: list[list[str]]) -> int:
    return sum(1 for parts in entries for p in parts if _INT_DTYPE.match(p))


def _scalar_value(record: Any) -> str | None:
    """The value of an integer scalar constant record (``TensorConstant{8}``), else None."""
    found = _INT_CONSTANT.match(record.label)
    if leaf_kind(record) != "constant" or found is None or not record.type.endswith("[]"):
        return None
    return found.group(1)


def _bound_slots(record: Any, by_uid: dict[int, Any]) -> dict[int, str] | None:
    """Input position -> value for each constant bound of an indexing ``record``: its index
    inputs are its last inputs, one per dtype part of its index list, after at least the
    indexed tensor (a record some view dropped inputs of is left alone)."""
    parsed = _index_list(record.label)
    if parsed is None:
        return None
    wanted = _placeholders(parsed[2])
    if wanted == 0 or wanted >= len(record.inputs):
        return None
    first = len(record.inputs) - wanted
    slots = {}
    for k in range(first, len(record.inputs)):
        source = by_uid.get(record.inputs[k])
        value = _scalar_value(source) if source is not None else None
        if value is not None:
            slots[k] = value
    return slots


def _folded_label(label: str, values: list[str | None]) -> str:
    """``label`` with its dtype parts replaced, in order, by ``values`` (None: keep); a
    folded slice drops the empty step: ``8:16``, as Python writes it."""
    parsed = _index_list(label)
    assert parsed is not None  # only called for labels _bound_slots parsed
    name, mode, entries = parsed
    it = iter(values)
    texts = []
    for parts in entries:
        new = [p if not _INT_DTYPE.match(p) else (next(it) or p) for p in parts]
        if new != parts and len(new) == 3 and new[2] == "":
            new = new[:2]
        texts.append(":".join(new))
    return f"{name}{{{mode}{', '.join(texts)}}}"


def bound_constants(records: Sequence[Any]) -> set[int]:
    """Uids of the constants some indexing op reads as a slice bound or an index."""
    by_uid = {rec.uid: rec for rec in records}
    return {rec.inputs[k] for rec in records
            for k in (_bound_slots(rec, by_uid) or {})}


def fold_bounds(records: Sequence[Any], keep: Iterable[int] = ()
                ) -> tuple[tuple[Any, ...], dict[int, str]]:
    """``records`` with constant index bounds folded into their consumers' labels, and a
    tooltip line per folded consumer (its op's own label, the constants by uid).

    A folded constant's edge is dropped; the constant itself is dropped when nothing else
    reads it and it is not in ``keep`` (outputs, marked nodes). Labels already folded are
    left as they are, so folding twice is folding once.

    Examples
    --------
    >>> import nbgraph.tensor as T
    >>> from nbgraph.core.records import snapshot_records
    >>> x = T.dvector('x')
    >>> records, _ = snapshot_records([x[8:16]])
    >>> [r.label for r in fold_bounds(records)[0]]
    ['x', 'Subtensor{8:16}']
    """
    by_uid = {rec.uid: rec for rec in records}
    folded: list[Any] = []
    notes: dict[int, str] = {}
    for rec in records:
        slots = _bound_slots(rec, by_uid)
        if not slots:
            folded.append(rec)
            continue
        first = len(rec.inputs) - _placeholders(_index_list(rec.label)[2])  # type: ignore[index]
        values = [slots.get(k) for k in range(first, len(rec.inputs))]
        shown = [f"#{rec.inputs[k]} {by_uid[rec.inputs[k]].label}" for k in sorted(slots)]
        notes[rec.uid] = f"{rec.label}, bounds: " + ", ".join(shown)
        folded.append(without_inputs(rec, slots, _folded_label(rec.label, values)))
    return drop_unread(folded, bound_constants(records), keep), notes
