"""A Function's call path, generated for its arity: Python source with no loops and no zip on
the hot path, registered with linecache (link/generated.py) so tracebacks show it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..link.generated import exec_generated
from ..link.vm import node_error

if TYPE_CHECKING:
    from .function import Function


def fast_paths(fn: Function) -> tuple[Any, Any]:
    """``(trusted, checked)``: the call path specialised to the function's arity, as Python
    source (no loops, no zip on the hot path). ``trusted(args)`` stores the arguments as
    they are (``trust_input``); ``checked(args)`` stores exact ndarrays of the input's dtype,
    rank and static sizes and sends anything else through ``filter``. A one-node graph calls
    its thunk directly (errors still name the node)."""
    n = len(fn._in_cells)
    cells = ", ".join(f"c{k}" for k in range(n))
    store = f"{', '.join(f'c{k}[0]' for k in range(n))}, = args" if n else "pass"
    checks = []
    for k, (_, ndim, sizes) in enumerate(fn._fast_checks):
        checks += [f"type(a{k}) is ndarray", f"a{k}.dtype is dt{k}", f"a{k}.ndim == {ndim}"]
        checks += [f"a{k}.shape[{axis}] == {size}" for axis, size in sizes]
    vm = fn.vm
    one = len(vm.thunks) == 1 and vm.profile is None and vm.commit is None
    run = ["        try:", "            thunk()", "        except Exception as err:",
           "            raise node_error(node, node_cells, err, node_reads) from err"] if one \
        else ["        run()"]
    done = ["        return out[0]"] if fn._plain else ["        return finish()"]
    lines = ["def make(cells, dts, run, finish, bind, out, ndarray, thunk, node, node_cells,",
             "         node_reads, node_error):",
             *([f"    {cells}, = cells", f"    {', '.join(f'dt{k}' for k in range(n))}, = dts"]
               if n else []),
             "    def trusted(args):", f"        {store}", *run, *done,
             "    def checked(args):"]
    if n:
        lines += [f"        {', '.join(f'a{k}' for k in range(n))}, = args",
                  f"        if {' and '.join(checks)}:", f"            {store}", "        else:",
                  "            bind(args, {})"]
    lines += [*run, *done, "    return trusted, checked"]
    scope: dict[str, Any] = {}
    exec_generated("\n".join(lines) + "\n", scope, "function call")  # integers, dtype names
    return scope["make"](
        fn._in_cells, [dt for dt, _, _ in fn._fast_checks], fn._run, fn._finish, fn._bind,
        fn._out_cells[0] if fn._out_cells else None, np.ndarray,
        vm.thunks[0] if one else None, vm.nodes[0] if one else None,
        vm.in_cells[0] if one else None, vm.reads[0] if one else None, node_error)
