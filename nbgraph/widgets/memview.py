"""The memory colouring of the Profile and Gradient drawings: each node filled by the bytes
its outputs take (``compile.memory``: read from the last call's values), its tooltip giving
them, and in a gradient the forward nodes whose values the backward pass reads (kept alive
until it runs: reverse mode's memory cost) outlined.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ..compile.memory import format_bytes, memory, value_bytes
from ..core.records import Snapshot
from .drawing import Style
from .graphdata import backward_uids
from .inner_run import compiled_inner
from .static import esc

LOW, HIGH = (255, 255, 255), (167, 139, 250)  # white to violet: node text stays dark on both
KEPT = "#be123c"  # the border of an activation kept alive for the backward pass


def byte_sizes(fn: Any) -> dict[int, int]:
    """uid -> bytes of each node's output values in ``fn``'s last call (a view's or an
    in-place output's too: the size of what it holds), with the nodes of the inner functions
    that ran (a scan's step: one step's values); empty before a call."""
    return {uid: sizes[0] for uid, sizes in _sizes(fn).items()}


def _sizes(fn: Any) -> dict[int, tuple[int, int]]:
    """uid -> (bytes its values take, bytes of its own: none for a view or in place)."""
    found: dict[int, tuple[int, int]] = {}
    for one in [fn] + [inner for _, _, inner in compiled_inner(fn)]:
        try:
            own = memory(one).by_uid()
        except (RuntimeError, AttributeError, KeyError):  # not called yet, no VM
            continue
        found |= {uid: (nbytes, own.get(uid, nbytes)) for uid, nbytes in
                  value_bytes(one).items()}
    return found


def bytes_colour(nbytes: int, most: int) -> str:
    """White (no bytes) to violet (the largest output), on a square-root scale."""
    share = min(max(nbytes / most, 0.0), 1.0) if most else 0.0
    rgb = [round(a + (b - a) * share ** 0.5) for a, b in zip(LOW, HIGH, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def kept_for_backward(snap: Snapshot, n_forward: int) -> set[int]:
    """Forward op records that a backward record reads: their values stay alive from the
    forward pass until the backward pass has used them."""
    backward = backward_uids(snap, n_forward)
    read = {uid for rec in snap.nodes if rec.uid in backward for uid in rec.inputs}
    return {rec.uid for rec in snap.nodes if rec.inputs and rec.uid in read
            and rec.uid not in backward}


def memory_style(style: Style, sizes: Mapping[int, int],
                 kept: Collection[int] = (), own: Mapping[int, int] | None = None) -> Style:
    """``style`` with every sized node filled by its bytes and noted in its tooltip (``own``:
    the bytes each owns, when a view or an in-place output owns fewer); ``kept`` nodes
    outlined as kept for the backward pass."""
    most = max(sizes.values(), default=0)
    for uid, nbytes in sizes.items():
        style.fill[uid] = bytes_colour(nbytes, most)
        shared = own is not None and own.get(uid, nbytes) < nbytes
        style.tooltip[uid] = f"output: {format_bytes(nbytes)}" + (
            " (in its input's buffer: a view or in place)" if shared else "") + (
            " (kept alive for the backward pass)" if uid in kept else "")
    for uid in kept:
        style.mark[uid] = (style.fill.get(uid, "#ffffff"), KEPT, "kept")
    return style


def own_bytes(fn: Any) -> dict[int, int]:
    """uid -> the bytes each node's outputs own (``compile.memory``: a view owns none)."""
    return {uid: sizes[1] for uid, sizes in _sizes(fn).items()}


def memory_key(sizes: Mapping[int, int], kept: bool = False, fn: Any = None) -> str:
    """The colour scale in words (largest output, peak live memory) and, with ``kept``, the
    outline of the activations kept for the backward pass."""
    most = max(sizes.values(), default=0)
    stops = ", ".join(bytes_colour(round(most * (k / 4) ** 2), most) for k in range(5))
    peak = ""
    try:
        report = memory(fn) if fn is not None else None
    except (RuntimeError, AttributeError, KeyError):
        report = None
    if report is not None:
        peak = f"; peak live {format_bytes(report.peak)}"
    outline = (f'<span style="border:2.5px solid {KEPT};background:#ffffff;color:#111827;'
               f'padding:0 6px;border-radius:3px">kept for the backward pass</span>'
               if kept else "")
    return ('<div class="nbgraph-memkey" style="font-size:12px;margin:4px 0;display:flex;'
            'align-items:center;gap:6px;flex-wrap:wrap">output bytes: 0'
            '<span style="display:inline-block;width:140px;height:10px;border:1px solid '
            f'#d1d5db;background:linear-gradient(to right, {stops})"></span>'
            f"{format_bytes(most)}{peak}{outline}</div>")


def kept_line(snap: Snapshot, sizes: Mapping[int, int], n_forward: int, limit: int = 8) -> str:
    """The activations kept for the backward pass in words, largest first, with their bytes
    (the static Gradient section of ``%%symgraph``, which draws only the symbolic graph)."""
    labels = {rec.uid: rec.label for rec in snap.nodes}
    kept = sorted(kept_for_backward(snap, n_forward), key=lambda uid: -sizes.get(uid, 0))
    if not kept:
        return ""
    listed = ", ".join(f"#{uid} {esc(labels[uid][:32])} ({format_bytes(sizes.get(uid, 0))})"
                       for uid in kept[:limit])
    more = f", and {len(kept) - limit} more" if len(kept) > limit else ""
    return (f"<p>Reverse mode keeps {len(kept)} forward values alive for the backward pass, "
            f"largest first: {listed}{more}.</p>")
