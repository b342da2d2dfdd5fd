"""The JAX linker: the whole graph becomes one ``jax.jit`` function run by XLA (CPU, GPU, TPU,
and many devices through a mesh), compiled once per function and input shapes.

``Mode(linker='jax')`` (or ``mode='JAX'``) uses it. Shared variables are inputs and their
updates outputs of the jitted function (functional updates); on an accelerator their values
stay JAX device arrays between calls. ``JaxLinker(mesh=, shard_inputs=)`` compiles
data-parallel: the named inputs are split along their batch axis over the mesh, everything
else is replicated, and XLA inserts the collectives (the mean over a sharded batch becomes an
all-reduce).

JAX itself is imported on first use: ``import nbgraph`` never loads it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..core.graph import Apply, Constant, Variable

# ``fn.source``: one entry for the whole program (the Code view asks jax_call_of(fn) for
# the jaxpr, which exists once the function has run: it depends on the input shapes)
WHOLE_PROGRAM = "# JAX linker: the whole function is one jitted XLA program (see its jaxpr)"
NOT_TRACED = "# the jaxpr appears after the first call (it depends on the input shapes)"


def _as_is(value: Any) -> Any:
    return value


def _local(value: Any) -> Any:
    """A replicated result's copy on this host (on many hosts, the others hold theirs)."""
    if getattr(value, "is_fully_addressable", True):
        return value
    return value.addressable_data(0)


def _host_copy(value: Any) -> np.ndarray:
    return np.array(_local(value))


def _host_view(value: Any) -> np.ndarray:
    return np.asarray(_local(value))


def _in_program(err: Exception) -> Exception:
    """``err`` saying that it came from the whole jitted program (the VM then names the
    function's last node, whose thunk ran it)."""
    message = f"{err}\n  in the JAX linker's jitted program of the whole function"
    try:
        return type(err)(message)
    except Exception:
        return RuntimeError(message)


def _nothing() -> None:
    """The thunk of every node but the last: the jitted call computes them all."""


class JaxLinker:
    """One jitted XLA program per function (see the module docstring).

    ``mesh``: a ``jax.sharding.Mesh``; ``shard_inputs``: {input Variable or name: the axis
    split over the mesh's first axis (the batch axis)}.

    >>> mesh = jax.make_mesh((4,), ("batch",))
    >>> mode = Mode(linker=JaxLinker(mesh=mesh, shard_inputs={"x": 0, "y": 0}))
    """

    name = "jax"

    def __init__(self, mesh: Any = None, shard_inputs: Mapping[Any, int] | None = None):
        if shard_inputs and mesh is None:
            raise ValueError("JaxLinker: shard_inputs needs a mesh (jax.make_mesh(...))")
        self.mesh = mesh
        self.shard_inputs = dict(shard_inputs or {})

    def make_thunks(self, fgraph: Any, nodes: list[Apply], storage: dict[Variable, list],
                    profile: Any, compiler: Any) -> tuple[list[Any], dict[Apply, str]]:
        try:
            import jax  # noqa: F401
        except ImportError:
            raise ImportError("the JAX linker needs JAX: pip install 'nbgraph[jax]' (or "
                              "jax[cuda12] for NVIDIA GPUs), or use another mode") from None
        if not nodes:
            return [], {}
        call = JaxCall(fgraph, nodes, storage, profile, self.mesh, self.shard_inputs)
        thunks: list[Any] = [_nothing] * (len(nodes) - 1) + [call]
        return thunks, {nodes[-1]: WHOLE_PROGRAM}


class JaxCall:
    """The thunk that runs the whole jitted graph: reads every input cell (explicit inputs
    and shared variables), writes every output cell. ``jaxpr()`` and ``stablehlo()`` show
    what XLA compiles, for the shapes of the last call."""

    def __init__(self, fgraph: Any, nodes: list[Apply], storage: dict[Variable, list],
                 profile: Any, mesh: Any, shard_inputs: Mapping[Any, int]):
        import jax
        jax.config.update("jax_enable_x64", True)  # float64 and int64 as NumPy has them
        from . import jax_ops
        self._jax_ops = jax_ops   # its value checks (checkify) too
        self._evaluate = jax_ops.evaluate
        self.inputs = list(fgraph.inputs)
        self.outputs = list(fgraph.outputs)
        self.nodes = list(nodes)
        self.reads = self.inputs  # for the VM's error messages
        self.in_cells = [storage[v] for v in self.inputs]
        n_user = len(self.outputs) - len(fgraph.update_targets)
        # The user's outputs come back as NumPy arrays of their own (Theano's API). Updates
        # stay device arrays on an accelerator; on the CPU they become read-only NumPy views
        # of XLA's buffers (no copy), which functions of the other linkers read, and update
        # into a new buffer (as they do any read-only shared value).
        on_cpu = (mesh.devices.flat[0] if mesh is not None else jax.devices()[0]).platform \
            == "cpu"
        given = {id(v) for v in self.inputs}  # inputs and constants already sit in cells
        self.writes = [(k, storage[v], _host_copy if k < n_user else
                        _host_view if on_cpu else _as_is) for k, v in enumerate(self.outputs)
                       if not isinstance(v, Constant) and id(v) not in given]
        self.profile = profile
        mesh = _auto_axes(mesh)
        self.placements = _placements(mesh, self.inputs, shard_inputs)
        jit_options: dict[str, Any] = {}
        if mesh is not None:
            from jax.sharding import NamedSharding, PartitionSpec
            replicated = NamedSharding(mesh, PartitionSpec())
            jit_options = {"in_shardings": tuple(self.placements),
                           "out_shardings": tuple(replicated for _ in self.outputs)}
        self._jit_options = jit_options
        self.checked = False  # traced under checkify (a value check such as x ** -1 on ints)
        self.jitted = jax.jit(self.graph_function, **jit_options)
        self._last: list[Any] | None = None  # the last call's arguments (for jaxpr())

    def graph_function(self, *values: Any) -> tuple:
        """The graph as a function of its input values (what ``jax.jit`` traces)."""
        checks = self._jax_ops.VALUE_CHECKS
        token = checks.set(self.checked)
        try:
            return tuple(self._evaluate(self.inputs, self.outputs, values, self.nodes))
        finally:
            checks.reset(token)

    def _traced(self) -> Any:
        """What jit traces: the graph function, under checkify once it needs value checks."""
        from jax.experimental import checkify
        return checkify.checkify(self.graph_function) if self.checked else self.graph_function

    def __call__(self) -> None:
        args = [cell[0] for cell in self.in_cells]
        first = self._last is None
        self._last = args
        start = time.perf_counter()
        try:
            results = self._run(args)
        except Exception as err:
            raise _in_program(err) from err
        if first and self.profile is not None:  # the first call traces and compiles
            self.profile.record_phase("jax_trace_compile", time.perf_counter() - start)
        for k, cell, convert in self.writes:
            cell[0] = convert(results[k])

    def _run(self, args: list[Any]) -> Any:
        import jax
        if self.placements:
            args = [jax.device_put(a, p) for a, p in zip(args, self.placements, strict=True)]
        try:
            results = self.jitted(*args)
        except self._jax_ops.NeedsValueChecks:  # traced again, once, under checkify
            self.checked = True
            options = dict(self._jit_options)
            if "out_shardings" in options:   # one sharding for the error and every output
                options["out_shardings"] = options["out_shardings"][0]
            self.jitted = jax.jit(self._traced(), **options)
            results = self.jitted(*args)
        if not self.checked:
            return results
        error, results = results
        message = error.get()
        if message is not None:   # NumPy's error, as the py and C linkers raise
            message = message.split(" (`check` failed)")[0]
            raise self._jax_ops.CHECK_KINDS.get(message, ValueError)(message)
        return results

    # -- what the Code view shows ---------------------------------------------------------
    def _shape_specs(self) -> list[Any]:
        if self._last is not None:
            return [_spec(a) for a in self._last]
        shapes = [v.type.shape for v in self.inputs]
        if any(None in s for s in shapes):
            raise ValueError("the JAX program depends on the input shapes: call the function "
                             "once, then ask again")
        return [_spec(np.zeros(s, v.dtype)) for s, v in zip(shapes, self.inputs, strict=True)]

    def jaxpr(self) -> str:
        """The jaxpr of the whole function (for the last call's input shapes)."""
        import jax
        return str(jax.make_jaxpr(self._traced())(*self._shape_specs()))

    def stablehlo(self) -> str:
        """The StableHLO module XLA compiles (for the last call's input shapes)."""
        return str(self.jitted.lower(*self._shape_specs()).as_text())

    def compiled_text(self) -> str:
        """The HLO after XLA's passes (collectives of a sharded function show here)."""
        return str(self.jitted.lower(*self._shape_specs()).compile().as_text())

    def code_views(self) -> list[tuple[str, str]]:
        """(label, text) pairs for the Code view: the jaxpr, then StableHLO."""
        try:
            return [("jaxpr of the whole jitted function", self.jaxpr()),
                    ("StableHLO (what XLA compiles)", self.stablehlo())]
        except ValueError:
            return [("jaxpr of the whole jitted function", NOT_TRACED)]

    def __str__(self) -> str:
        """The Code view's text: the jaxpr once the function has run."""
        try:
            return self.jaxpr()
        except ValueError:
            return NOT_TRACED


def _spec(value: Any) -> Any:
    import jax
    array = np.asarray(value) if not isinstance(value, jax.Array) else value
    return jax.ShapeDtypeStruct(array.shape, array.dtype)


def _auto_axes(mesh: Any) -> Any:
    """``mesh`` with every axis in Auto mode: the graph carries no sharding annotations of
    its own, so XLA's sharding propagation places every intermediate (``jax.make_mesh``
    makes Explicit axes by default, which would need one on every ambiguous op)."""
    if mesh is None:
        return None
    from jax.sharding import AxisType, Mesh
    return Mesh(mesh.devices, mesh.axis_names, axis_types=(AxisType.Auto,) * mesh.devices.ndim)


def _placements(mesh: Any, inputs: Sequence[Any], shard_inputs: Mapping[Any, int]
                ) -> list[Any]:
    """Per input, its sharding over ``mesh``: split along the given axis, else replicated."""
    if mesh is None:
        return []
    from jax.sharding import NamedSharding, PartitionSpec
    axis_name = mesh.axis_names[0]
    by_key = dict(shard_inputs)
    known = set()
    out = []
    for var in inputs:
        key = var if var in by_key else var.name if var.name in by_key else None
        if key is None:
            out.append(NamedSharding(mesh, PartitionSpec()))
            continue
        known.add(key)
        axis = by_key[key]
        spec = [None] * var.ndim
        spec[axis] = axis_name
        out.append(NamedSharding(mesh, PartitionSpec(*spec)))
    missing = [k for k in by_key if k not in known]
    if missing:
        names = [v.name for v in inputs]
        raise ValueError(f"JaxLinker: shard_inputs names {missing}, which are not inputs of "
                         f"this function (its inputs: {names})")
    return out


def jax_call_of(fn: Any) -> JaxCall | None:
    """The JaxCall of a Function compiled with the JAX linker (None for other linkers)."""
    vm = getattr(fn, "vm", None)
    return next((t for t in getattr(vm, "thunks", ()) if isinstance(t, JaxCall)), None)
