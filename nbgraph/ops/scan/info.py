"""A Scan loop's static structure: how its inner inputs are laid out, and the tap windows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScanInfo:
    """The loop's static structure (inner inputs are laid out in this order)."""

    seq_taps: tuple[tuple[int, ...], ...]
    rec_taps: tuple[tuple[int, ...], ...]
    n_nitsot: int
    n_nonseq: int
    go_backwards: bool = False
    truncate_gradient: int = -1
    name: str | None = None
    until: bool = False   # the last nit-sot output is scan_module.until's stop condition
    # recurrent outputs whose stack holds only their last value (the initial window's last
    # when there are no steps): the gradient's accumulators, read once at the end, then
    # live in a ring of window + 1 steps instead of a stack of n (Theano's scan_save_mem)
    last_only: tuple[int, ...] = ()

    @property
    def n_seqs(self) -> int:
        return len(self.seq_taps)

    @property
    def n_recs(self) -> int:
        return len(self.rec_taps)


def seq_span(taps: tuple[int, ...]) -> tuple[int, int]:
    """``(lo, hi)``: a sequence of length N gives ``N - (hi - lo)`` steps, and tap ``k`` at
    step ``t`` reads element ``t + k - lo``."""
    return min(min(taps), 0), max(max(taps), 0)


def window(taps: tuple[int, ...]) -> int:
    """How many initial steps a recurrence with these (negative) taps needs."""
    return -min(taps)
