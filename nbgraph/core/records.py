"""Plain records of a graph (STYLE B6): ``NodeRecord``, ``Snapshot`` and the one builder.

The rewrite trace stores these and printing draws them, so a live graph and a replayed trace
read the same. Records hold only ints and strings: nothing here keeps a graph alive.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .graph import Apply, Variable, toposort
from .source import SourceLine, sources_of


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """One graph input/constant (no inputs) or one Apply node, named by its uid.

    ``inputs`` are the uids of the records producing each input and ``ports`` which output
    of that record each input is (a scan's second output: 1; -1 unknown), kept only when
    some input comes from a node with several outputs (empty: not known, and not needed
    when each producer has one output); ``type`` is the output type(s) in short form
    (``float64[?,3]``, ``float64[], int64[]`` for two outputs: ``output_type`` picks one);
    ``origin`` is "user", "grad of <uid> (<op>)", or the full name of the rule that created
    the node.
    """

    uid: int
    label: str
    inputs: tuple[int, ...]
    type: str
    name: str | None
    origin: str = "user"
    source: str | None = None                         # "model.py:42 in forward", or several
    absorbed: tuple[tuple[int, str, str], ...] = ()   # rewritten away: (uid, op, source)
    # drawing detail: records compare as before (a trace's JSON, which does not keep ports,
    # reads back equal)
    ports: tuple[int, ...] = field(default=(), compare=False)

    def input_ports(self) -> tuple[int | None, ...]:
        """The output index each input reads, aligned with ``inputs``; None where it is not
        known (no ``ports``, or ``ports`` not kept aligned by whatever rewired the inputs)."""
        if len(self.ports) != len(self.inputs):
            return (None,) * len(self.inputs)
        return tuple(None if port < 0 else port for port in self.ports)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A whole graph: records in topological order, and the uids producing each output."""

    nodes: tuple[NodeRecord, ...]
    outputs: tuple[int, ...]


def record_uid(var: Variable) -> int:
    """The uid of the record that produces ``var``: its Apply node, or itself if ownerless."""
    return var.owner.uid if var.owner is not None else var.uid


def output_port(var: Variable) -> int:
    """Which output of its Apply ``var`` is (0 for a leaf)."""
    return var.index or 0


def kept_ports(record: NodeRecord, kept: Iterable[int], added: int = 0) -> tuple[int, ...]:
    """``record``'s ports for the inputs at positions ``kept``, then ``added`` inputs of
    unknown port: what a view that rewires a record's inputs gives it (empty if it had
    none: its ports were never needed)."""
    if not record.ports:
        return ()
    ports = record.input_ports()
    known = tuple(ports[k] for k in kept)
    return tuple(-1 if port is None else port for port in known) + (-1,) * added


def without_inputs(record: NodeRecord, folded: Iterable[int], label: str) -> NodeRecord:
    """``record`` relabelled ``label``, its inputs at positions ``folded`` dropped (their
    constants written into the label): what ``index_bounds`` and ``small_constants`` fold."""
    gone = set(folded)
    kept = [k for k in range(len(record.inputs)) if k not in gone]
    return replace(record, label=label, inputs=tuple(record.inputs[k] for k in kept),
                   ports=kept_ports(record, kept))


def drop_unread(records: Sequence[NodeRecord], candidates: set[int], keep: Iterable[int]
                ) -> tuple[NodeRecord, ...]:
    """``records`` less the ``candidates`` no record reads any more and not in ``keep``,
    repeated so that a broadcast no one reads goes, then its constant."""
    keep = set(keep)
    shown = tuple(records)
    while True:
        read = {uid for rec in shown for uid in rec.inputs} | keep
        left = tuple(rec for rec in shown if rec.uid not in candidates - read)
        if len(left) == len(shown):
            return left
        shown = left


def output_type(record: Any, port: int | None) -> str:
    """The short type of output ``port`` of ``record`` (its whole type when ``port`` is None
    or out of range: a record whose outputs cannot be told apart)."""
    types = record.type.split(", ")  # no short type has ", " in it: ``float64[?,3]``
    return types[port] if port is not None and 0 <= port < len(types) else record.type


def _short(type_: Any) -> str:
    short = getattr(type_, "short", None)
    return short() if callable(short) else str(type_)


def _origin(node: Apply, ops_by_uid: dict[int, str]) -> str:
    """'user', the rule that made the node, or 'grad of <uid> (<op>)' (backward nodes)."""
    created_by = getattr(node.tag, "created_by", None)
    if created_by is not None:
        return str(created_by)
    grad_of = getattr(node.tag, "grad_of", None)
    if grad_of is None:
        return "user"
    op = ops_by_uid.get(grad_of)
    return f"grad of {grad_of} ({op})" if op else f"grad of {grad_of}"


def _places(sources: tuple[SourceLine, ...]) -> str | None:
    return ", ".join(str(s) for s in sources) or None


def _absorbed(node: Apply) -> tuple[tuple[int, str, str], ...]:
    return tuple((uid, label, _places(src) or "") for uid, label, src
                 in getattr(node.tag, "absorbed", ()))


def snapshot_records(outputs: Sequence[Variable], inputs: Iterable[Variable] = (),
                     forward_ops: dict[int, str] | None = None
                     ) -> tuple[tuple[NodeRecord, ...], tuple[int, ...]]:
    """Records of the graph above ``outputs``: ``inputs`` first, then nodes in topological
    order, each leaf just before its first use; and the record uid of each output.

    An Apply's record carries its uid; a leaf (input or constant) carries the Variable's.
    ``forward_ops`` names forward ops by uid for gradient provenance once the forward node
    itself is gone (a FunctionGraph keeps them when it clones).

    Examples
    --------
    >>> import nbgraph.tensor as T
    >>> x = T.dvector('x')
    >>> records, outputs = snapshot_records([T.exp(x)])
    >>> [r.label for r in records]
    ['x', 'Elemwise{exp,no_inplace}']
    """
    order = toposort(outputs)
    ops_by_uid = {node.uid: str(node.op) for node in order}
    ops_by_uid.update(forward_ops or {})
    records: list[NodeRecord] = []
    seen: set[int] = set()

    def add_leaf(var: Variable) -> None:
        if var.uid not in seen:
            seen.add(var.uid)
            records.append(NodeRecord(var.uid, str(var), (), _short(var.type), var.name))

    for var in inputs:
        add_leaf(var)
    for node in order:
        for var in node.inputs:
            if var.owner is None:
                add_leaf(var)
        outs = node.outputs
        several = any(v.owner is not None and len(v.owner.outputs) > 1 for v in node.inputs)
        ports = tuple(output_port(v) for v in node.inputs) if several else ()
        records.append(NodeRecord(
            node.uid, str(node.op), tuple(record_uid(v) for v in node.inputs),
            ", ".join(_short(v.type) for v in outs), outs[0].name if len(outs) == 1 else None,
            _origin(node, ops_by_uid), _places(sources_of(node)), _absorbed(node),
            ports))
    for var in outputs:
        if var.owner is None:
            add_leaf(var)
    return tuple(records), tuple(record_uid(v) for v in outputs)


def snapshot_of(outputs: Sequence[Variable], inputs: Iterable[Variable] = (),
                forward_ops: dict[int, str] | None = None) -> Snapshot:
    """``snapshot_records`` as one ``Snapshot`` value (what the trace and the widgets keep)."""
    return Snapshot(*snapshot_records(outputs, inputs, forward_ops))


def leaf_kind(record: Any) -> str | None:
    """'constant' or 'input' for a record without inputs, None for an op."""
    if record.inputs:
        return None
    return "constant" if "Constant{" in record.label else "input"
