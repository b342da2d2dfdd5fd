"""Node chips: ``#uid op`` in a highlight's colours, inline in the Passes tab's texts (the
event card, the rules table, the why-not panel) so they match the drawing's marks."""

from __future__ import annotations

from collections.abc import Iterable

from ..rewrite.trace import Snapshot
from .graphdata import by_uid, short_label
from .static import esc


def node_chips(uids: Iterable[int], snap: Snapshot | None, colours: tuple[str, str]) -> str:
    """``#uid`` chips in the highlight colours; with ``snap``, each also names its op."""
    records = by_uid(snap) if snap is not None else {}
    fill, border = colours
    chips = []
    for uid in uids:
        rec = records.get(uid)
        label = f"#{uid} {esc(short_label(rec.label, 36))}" if rec is not None else f"#{uid}"
        tip = f' title="{esc(rec.label)}"' if rec is not None else ""
        chips.append(f'<span{tip} style="background:{fill};color:#111827;border:1px solid {border};'
                     f'border-radius:3px;padding:0 4px;margin:1px 2px;display:inline-block;'
                     f'white-space:nowrap">{label}</span>')
    return "".join(chips) or "–"
