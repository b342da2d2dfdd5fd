"""Kernel entry points that take NumPy arrays themselves (their addresses, ``id(array)``) and
read data pointer, shape, strides and flags in C: one call for contiguous, strided, transposed,
negative-stride and broadcast operands, with no per-call Python set-up (no ``broadcast_to``,
no pointer or stride arrays built in Python).

The fields read are those of NumPy's ``PyArrayObject_fields`` after the object header (stable
since NumPy 1.7); the linker checks at import, through the same declaration (``c_abi``), that
they read what NumPy reports, and otherwise never calls these entry points.
"""

from __future__ import annotations

import textwrap

from .kernel import Kernel
from .reductions import REDUCTIONS

# the struct both C and cffi use (c_abi.CDEF declares it too, so the offsets agree)
ARRAY_STRUCT = ("typedef struct { char *data; int nd; int64_t *dims; int64_t *strides; "
                "void *base; void *descr; int flags; } nbg_pyarray;")

NPY_WRITEABLE = 0x0400  # NPY_ARRAY_WRITEABLE in numpy/ndarraytypes.h


def array_helpers(head: int) -> str:
    """C helpers reading arrays at ``objs[k] + head`` (``head``: the object header's size,
    ``object.__basicsize__``) and laying operands out against the output's shape."""
    return textwrap.dedent(f"""\
        {ARRAY_STRUCT}
        #define NBG_ARRAY(obj) ((const nbg_pyarray *)((const char *)(obj) + {head}))
        #define NBG_EMPTY (-2)

        /* Operands 0..nops-1 (outputs from nin on, written, so writeable) broadcast against
           the shape of operand ``ref``: each operand's byte strides (0 where it has length 1),
           length-1 dimensions dropped and neighbours merged where every operand steps
           through them as one. A length 1 broadcasts only on the dimensions d its type
           declares (bit d of bc[k]; Theano's rule, outputs none). Fills p[k], shape[d] and
           st[k * nd + d] for the rank nd it returns; -1 where an operand does not broadcast
           (the caller's Python path raises the error naming the node), NBG_EMPTY for an
           empty output. ``s`` is scratch of nops * NBG_MAXDIM. */
        static int nbg_layout(int nops, int nin, int ref, const intptr_t *objs,
                              const uint64_t *bc, int64_t *shape, char **p, int64_t *st,
                              int64_t *s)
        {{
            const nbg_pyarray *o = NBG_ARRAY(objs[ref]);
            const int nd = o->nd;
            int m = 0, empty = 0;
            if (nd > NBG_MAXDIM) return -1;
            for (int k = 0; k < nops; k++) {{
                const nbg_pyarray *a = NBG_ARRAY(objs[k]);
                if (a->nd != nd || (k >= nin && !(a->flags & {NPY_WRITEABLE:#x}))) return -1;
                p[k] = a->data;
            }}
            for (int d = 0; d < nd; d++) {{
                const int64_t n = o->dims[d];
                int merge = m > 0;
                if (n == 0) empty = 1;
                for (int k = 0; k < nops; k++) {{
                    const nbg_pyarray *a = NBG_ARRAY(objs[k]);
                    const int64_t len = a->dims[d];
                    if (len != n && (len != 1 || !(bc[k] >> d & 1))) return -1;
                    s[k * NBG_MAXDIM + m] = len == 1 ? 0 : a->strides[d];
                    if (merge && s[k * NBG_MAXDIM + m - 1] != s[k * NBG_MAXDIM + m] * n)
                        merge = 0;
                }}
                if (n == 1) continue;
                if (merge) {{  /* dimension m - 1 and this one walk as one */
                    shape[m - 1] *= n;
                    for (int k = 0; k < nops; k++)
                        s[k * NBG_MAXDIM + m - 1] = s[k * NBG_MAXDIM + m];
                }} else {{
                    shape[m++] = n;
                }}
            }}
            if (empty) return NBG_EMPTY;
            if (m == 0) {{  /* one element */
                shape[0] = 1;
                for (int k = 0; k < nops; k++) s[k * NBG_MAXDIM] = 0;
                m = 1;
            }}
            for (int k = 0; k < nops; k++)
                for (int d = 0; d < m; d++) st[k * m + d] = s[k * NBG_MAXDIM + d];
            return m;
        }}
        """)


def broadcast_masks(k: Kernel) -> str:
    """A C initializer of ``uint64_t`` per operand: bit d set where its type broadcasts on
    dimension d (outputs: none), so a length 1 elsewhere sends the call to the Python path."""
    masks = [sum(1 << d for d, b in enumerate(a.bcast) if b) for a in k.inputs]
    return "{" + ", ".join(f"{m:#x}u" for m in masks + [0] * len(k.outputs)) + "}"


def _expected(role: str, size: str) -> tuple[str, str]:
    """The byte strides (over rows, over columns) of a C-contiguous operand of ``role`` on a
    (rows, cols) layout."""
    return {"full": (f"cols * {size}", size), "row": ("0", size), "col": (size, "0"),
            "scalar": ("0", "0")}[role]


def render_elemwise_arrays(k: Kernel, ctype: dict[str, str], strided: bool) -> str:
    """``<k>_arrays(objs)``: the contiguous entry point where every operand is contiguous (the
    rows one for row/column operands on C-contiguous rows), else the strided one; without
    ``strided`` (the module built first), it returns 2 for the caller to load that one."""
    ops = list(k.inputs) + list(k.outputs)
    nin, nops = len(k.inputs), len(ops)
    sizes = [f"(int64_t)sizeof({ctype[a.dtype]})" for a in ops]
    flat = " && ".join(f"st[{j}] == {'0' if a.scalar else sizes[j]}"
                       for j, a in enumerate(ops))
    lines = [f"/* {k.title}: NumPy arrays objs[0..{nops}) (outputs from {nin} on) */",
             f"int {k.name}_arrays(const intptr_t *objs)", "{",
             f"    int64_t shape[NBG_MAXDIM], st[{nops} * NBG_MAXDIM], s[{nops} * NBG_MAXDIM];",
             f"    static const uint64_t bc[] = {broadcast_masks(k)};",
             f"    char *p[{nops}];",
             f"    const int nd = nbg_layout({nops}, {nin}, {nin}, objs, bc, shape, p, st, s);",
             "    if (nd == NBG_EMPTY) return 0;",
             "    if (nd < 0) return 1;",
             f"    if (nd == 1 && (shape[0] == 1 || ({flat}))) {{",
             f"        {k.name}_contig(shape[0], p);",
             "        return 0;", "    }"]
    if k.by_rows:
        roles = [a.role for a in k.inputs] + ["full"] * len(k.outputs)
        conds = []
        for j, role in enumerate(roles):
            over_rows, over_cols = _expected(role, sizes[j])
            conds.append(f"st[{j} * 2] == {over_rows} && st[{j} * 2 + 1] == {over_cols}")
        lines += ["    const int64_t cols = shape[1];",
                  "    if (nd == 2 && " + "\n        && ".join(conds) + ") {",
                  f"        {k.name}_rows(shape[0], cols, p);", "        return 0;", "    }"]
    if strided:
        lines += [f"    {k.name}_strided(nd, shape, p, st);", "    return 0;"]
    else:
        lines.append("    return 2;  /* strided: in the module built on first need */")
    return "\n".join(lines + ["}"])


def render_reduce_arrays(k: Kernel, ctype: dict[str, str]) -> str:
    """``<k>_rarrays(objs)``: a reduction over NumPy arrays (inputs broadcast to their common
    shape, the output C-contiguous over the kept axes): moves the reduced axes last, as the
    kernel wants, and calls it. 1 where the Python path must run (it raises the errors, among
    them a length 1 on a dimension the operand's type does not broadcast)."""
    red = k.reduce
    assert red is not None
    nin, nd = len(k.inputs), red.ndim
    keep = [d for d in range(nd) if d not in red.axes]
    perm = keep + list(red.axes)
    nr = len(red.axes)
    out_size = f"(int64_t)sizeof({ctype[k.outputs[0].dtype]})"
    no_identity = not REDUCTIONS[red.kind].has_identity
    perm_c = ", ".join(map(str, perm)) or "0"
    return "\n".join([
        f"/* {k.title}: NumPy arrays objs[0..{nin}) reduced into objs[{nin}] */",
        f"int {k.name}_rarrays(const intptr_t *objs)", "{",
        f"    static const int perm[] = {{{perm_c}}};",
        f"    static const uint64_t bc[] = {broadcast_masks(k)};",
        f"    int64_t full[NBG_MAXDIM + 1], shape[NBG_MAXDIM + 1], st[{nin} * (NBG_MAXDIM + 1)];",
        f"    char *p[{nin + 1}];",
        f"    const nbg_pyarray *o = NBG_ARRAY(objs[{nin}]);",
        f"    if (o->nd != {len(keep)} || !(o->flags & {NPY_WRITEABLE:#x})) return 1;",
        f"    for (int d = 0; d < {nd}; d++) {{",
        "        full[d] = 1;",
        f"        for (int k = 0; k < {nin}; k++) {{",
        "            const nbg_pyarray *a = NBG_ARRAY(objs[k]);",
        f"            if (a->nd != {nd}) return 1;",
        "            const int64_t len = a->dims[d];",
        "            if (len != 1 && full[d] != 1 && len != full[d]) return 1;",
        "            if (len != 1) full[d] = len;",
        "        }",
        f"        for (int k = 0; k < {nin}; k++)  /* length 1: only where the type broadcasts */",
        "            if (NBG_ARRAY(objs[k])->dims[d] != full[d] && !(bc[k] >> d & 1)) return 1;",
        "    }",
        "    int64_t step = " + out_size + ";",
        f"    for (int d = {len(keep)} - 1; d >= 0; d--) {{  /* kept: the output's, contiguous */",
        "        if (o->dims[d] != full[perm[d]]) return 1;",
        "        if (o->dims[d] != 1 && o->strides[d] != step) return 1;",
        "        step *= o->dims[d];", "    }",
        *([f"    for (int d = {len(keep)}; d < {nd}; d++)",
           "        if (full[perm[d]] == 0) return 1;  /* no identity: NumPy's error */"]
          if no_identity else []),
        f"    for (int k = 0; k < {nin}; k++) {{",
        "        const nbg_pyarray *a = NBG_ARRAY(objs[k]);",
        "        p[k] = a->data;",
        f"        for (int d = 0; d < {nd}; d++)",
        f"            st[k * {nd if nr else nd + 1} + d] = "
        "a->dims[perm[d]] == 1 ? 0 : a->strides[perm[d]];",
        *([] if nr else [f"        st[k * {nd + 1} + {nd}] = 0;  /* nothing reduced: one step */"]),
        "    }",
        f"    for (int d = 0; d < {nd}; d++) shape[d] = full[perm[d]];",
        *([] if nr else [f"    shape[{nd}] = 1;"]),
        f"    p[{nin}] = o->data;",
        f"    {k.name}_reduce({len(keep)}, {max(nr, 1)}, shape, p, st);",
        "    return 0;", "}"])
