"""What each reduction kind computes, written once for every renderer: its identity, how an
element joins the accumulator, how two partial accumulators combine (the CUDA block tree), the
final value, the NaN rule and the OpenMP clause (STYLE B8). The renderers own only the loops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .literals import c_literal


@dataclass(frozen=True)
class Reduction:
    """One kind of reduction. Templates name the accumulators ``{a}``/``{b}``, their indices
    ``{ia}``/``{ib}`` and the accumulator's C type ``{t}``."""

    kind: str
    careduce: str | None        # the CAReduce scalar row that lowers to it (None: Argmax)
    identity: str               # "0", "1", or the accumulator dtype's "lowest"/"highest"
    combine: str                # C folding accumulator {b} into {a}
    lift: str                   # an element {b} as an operand of ``combine``
    nan: str | None             # NaN rule: "propagates" (a NaN in the run gives NaN), "first"
    #                             (the first NaN's index), None (bool or integer inputs only)
    clause: str = ""            # ``omp simd`` clause over the accumulator {a}
    widens: bool = False        # float32 inputs accumulate in double (as close as NumPy's
    #                             pairwise float32 sum)
    later_wins: str | None = None  # arg kinds: C condition for a later element {b} to replace
    #                                the running extremum {a}

    @property
    def tracks_index(self) -> bool:
        """Whether the result is an index (argmax/argmin) rather than the accumulator."""
        return self.later_wins is not None

    @property
    def has_identity(self) -> bool:
        """Whether NumPy reduces an empty axis (to the identity); max/min/argmax/argmin raise,
        their starting value being only the dtype's extreme."""
        return self.identity not in ("lowest", "highest")

    def identity_literal(self, acc_dtype: str) -> str:
        """The accumulator's starting value in C: -INFINITY, INT64_MIN's literal, 1, ..."""
        if self.has_identity:
            return self.identity
        low = self.identity == "lowest"
        if acc_dtype in ("float32", "float64"):
            return "-INFINITY" if low else "INFINITY"
        if acc_dtype == "bool":
            return "0" if low else "1"
        info = np.iinfo(acc_dtype)
        return c_literal(info.min if low else info.max, acc_dtype)

    def update(self, acc: str, arg: str, value: str, index: str, acc_t: str) -> str:
        """Element ``value`` at flat position ``index`` joins (``acc``, ``arg``); elements come
        in index order, so a tie keeps the earlier one."""
        if self.later_wins is not None:
            cond = self.later_wins.format(a=acc, b=value)
            return f"if ({cond}) {{ {acc} = {value}; {arg} = {index}; }}"
        return self.combine.format(a=acc, b=self.lift.format(b=value, t=acc_t))

    def merge(self, a: str, ia: str, b: str, ib: str) -> str:
        """Partial accumulator (``b``, ``ib``) folded into (``a``, ``ia``), in either order:
        the one with the smaller index counts as the earlier (``later_wins`` decides)."""
        if self.later_wins is None:
            return self.combine.format(a=a, b=b)
        b_first = self.later_wins.format(a=b, b=a)
        a_first = self.later_wins.format(a=a, b=b)
        return f"if ({ib} < {ia} ? !({b_first}) : {a_first}) {{ {a} = {b}; {ia} = {ib}; }}"

    def final(self, acc: str, arg: str, out_t: str) -> str:
        """The output value, in the output's C type."""
        return f"({out_t}){arg if self.tracks_index else acc}"


_CAST = "({t}){b}"
_TRUTH = "({b} != 0)"

REDUCTIONS: dict[str, Reduction] = {r.kind: r for r in (
    Reduction("sum", "add", "0", "{a} += {b};", _CAST, "propagates",
              clause="reduction(+:{a})", widens=True),
    Reduction("prod", "mul", "1", "{a} *= {b};", _CAST, "propagates",
              clause="reduction(*:{a})", widens=True),
    Reduction("max", "maximum", "lowest", "{a} = nbg_max({a}, {b});", _CAST, "propagates"),
    Reduction("min", "minimum", "highest", "{a} = nbg_min({a}, {b});", _CAST, "propagates"),
    Reduction("all", "and_", "1", "{a} = {a} && {b};", _TRUTH, None),
    Reduction("any", "or_", "0", "{a} = {a} || {b};", _TRUTH, None),
    Reduction("xor", "xor", "0", "{a} = ({a} != 0) != ({b} != 0);", "{b}", None),
    # NumPy's argmax/argmin: the first NaN wins, then the first strict extremum (later_wins
    # replaces combine and lift)
    Reduction("argmax", None, "lowest", "", "{b}", "first",
              later_wins="{a} == {a} && !({b} <= {a})"),
    Reduction("argmin", None, "highest", "", "{b}", "first",
              later_wins="{a} == {a} && !({b} >= {a})"),
)}
