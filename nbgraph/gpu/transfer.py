"""The ``gpu`` pass: move the whole optimized graph to the device with explicit transfers, and
the GPU mode built from it (``mode='GPU'``, ``config.device='cuda'``).

Each input crosses once (``GpuFromHost``); every node with a GPU implementation runs on device
values; ``HostFromGpu`` appears only where a host-only op or a graph output reads one.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ..codegen.kernel import NotCompilable, lower_elemwise, lower_reduce, reduce_kind
from ..compile.mode import Mode
from ..core.fgraph import FunctionGraph
from ..core.graph import Apply
from ..core.shared import SharedVariable
from ..core.variable import TensorConstant, TensorVariable
from ..ops.elemwise import DimShuffle, Elemwise
from ..ops.shape import Shape, Shape_i
from ..rewrite.engine import RuleSet, graph_rule
from ..rewrite.pipeline import PIPELINE, Pass, Pipeline, resolve
from . import blas
from .device import is_device_array
from .types import GpuFromHost, GpuTensorType, HostFromGpu, gpu_from_host, host_from_gpu

SHAPE_READERS = (Shape, Shape_i)   # read only ``.shape``: a device input needs no copy
Pairs = list[tuple[TensorVariable, TensorVariable]]   # (old, new) replacements


def runs_on_gpu(node: Apply) -> bool:
    """Whether ``node`` has a device implementation (a CUDA kernel, cuBLAS, or a view)."""
    op = node.op
    if isinstance(op, (GpuFromHost, HostFromGpu)):
        return False
    if isinstance(op, DimShuffle):
        return True
    try:
        if isinstance(op, Elemwise):
            lower_elemwise(node, "probe")
            return True
        reduce_kind(node)
        lower_reduce(node, "probe")
        return True
    except NotCompilable:
        return blas.handles(node)


def _keep_on_device(fgraph: FunctionGraph) -> set[int]:
    """Output positions that stay CuPy arrays: ``Out(borrow=True)`` outputs and the updates of
    shared variables whose value lives on the device (``function`` records both)."""
    borrow = fgraph.borrow_outputs
    keep = {k for k, b in enumerate(borrow) if b}
    for j, target in enumerate(fgraph.update_targets):
        if isinstance(target, SharedVariable) and is_device_array(target.container[0]):
            keep.add(len(borrow) + j)
    return keep


def _device_constant(const: TensorConstant) -> TensorConstant:
    return TensorConstant(GpuTensorType.of(const.type), const.data, const.name)


@graph_rule("move_to_gpu")
def move_to_gpu(fgraph: FunctionGraph) -> Pairs:
    """x -> op(x) -> out   becomes   x -> GpuFromHost -> op -> HostFromGpu -> out
    for every op with a device implementation, sharing one transfer per variable."""
    twins: dict[TensorVariable, TensorVariable] = {}    # host variable -> its device twin
    pairs: Pairs = []

    renamed: dict[TensorVariable, TensorVariable] = {}  # host outputs of rebuilt shape readers

    def on_device(var: TensorVariable) -> TensorVariable:
        if isinstance(var.type, GpuTensorType):
            return var
        var = renamed.get(var, var)
        if var not in twins:
            twins[var] = _device_constant(var) if isinstance(var, TensorConstant) \
                else gpu_from_host(var)
        return twins[var]

    for node in fgraph.toposort():
        if isinstance(node.op, SHAPE_READERS) and node.inputs[0] in twins:
            new = Apply(node.op, [twins[node.inputs[0]]], [o.type() for o in node.outputs])
        elif runs_on_gpu(node) and not all(isinstance(o.type, GpuTensorType)
                                           for o in node.outputs):
            new = Apply(node.op, [on_device(v) for v in node.inputs],
                        [GpuTensorType.of(o.type)() for o in node.outputs])
        else:
            continue
        new.tag = SimpleNamespace(**vars(node.tag))   # grad_of and provenance travel along
        for old, out in zip(node.outputs, new.outputs, strict=True):
            out.name = old.name
            if isinstance(out.type, GpuTensorType):
                twins[old] = out
                out = host_from_gpu(out)
            else:
                renamed[old] = out
            pairs.append((old, out))
    keep = _keep_on_device(fgraph)
    for k, var in enumerate(fgraph.outputs):
        if k in keep and var in twins and isinstance(twins[var].type, GpuTensorType):
            pairs.append((var, twins[var]))   # replaces the HostFromGpu put there above
    return _finalize(pairs)


def _finalize(pairs: Pairs) -> Pairs:
    """Device-kept outputs: point the pair at the variable the graph will hold by then."""
    latest: dict[TensorVariable, TensorVariable] = {}
    out = []
    for old, new in pairs:
        if old in latest:   # second pair for an output: replace its HostFromGpu instead
            out.append((latest[old], new))
        else:
            latest[old] = new
            out.append((old, new))
    return out


GPU = RuleSet("gpu", (move_to_gpu,))
GPU_PASS = Pass("gpu", GPU)


def gpu_pipeline(base: Any = None) -> Pipeline:
    """``base`` (FAST_RUN's pipeline by default) followed by the ``gpu`` pass."""
    found = resolve(base) if base is not None else PIPELINE
    if found is None:   # no rewrites: only the transfers
        return Pipeline((GPU_PASS,))
    return Pipeline(found.passes + (GPU_PASS,), found.excluded, found.unsafe_allowed)


def gpu_mode(optimizer: Any = None) -> Mode:
    """The mode running a whole function on the GPU: FAST_RUN's rewrites, the ``gpu`` pass,
    then the CUDA linker (``mode='GPU'``).

    >>> f = nbgraph.function([x], T.exp(x).sum(), mode=gpu_mode())   # needs CuPy and a GPU
    """
    return Mode("cuda", gpu_pipeline(optimizer))
