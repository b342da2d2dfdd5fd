"""``MRG_RandomStreams`` with Theano's signatures, drawing from the same PCG64 streams.

Theano's MRG31k3p generator existed for GPU sampling; here every stream is a NumPy PCG64 state,
so only the method signatures differ from ``RandomStreams`` (``binomial`` has no ``n``,
``multinomial`` takes one row of probabilities per sample).
"""

from __future__ import annotations

from typing import Any

from ..core.variable import as_tensor_variable
from .random import RandomSample, RandomStreams

__all__ = ["MRG_RandomStreams"]


class MRG_RandomStreams(RandomStreams):  # noqa: N801  (Theano's name)
    """Theano's ``MRG_RandomStreams(seed=12345)``.

    >>> srng = MRG_RandomStreams(seed=234)
    >>> mask = srng.binomial(size=(3,), p=0.8, dtype='float64')
    """

    def __init__(self, seed: int | None = 12345):
        super().__init__(seed)

    # Theano's MRG order (p second, no n) cannot match RandomStreams.binomial's (n, p)
    def binomial(self, size: Any = None, p: Any = 0.5, ndim: int | None = None,  # type: ignore[override]
                 dtype: str = "int64", nstreams: Any = None, **kwargs: Any) -> RandomSample:
        """Bernoulli(``p``) samples (Theano's MRG ``binomial`` draws one trial)."""
        n = kwargs.pop("n", 1)
        return super().binomial(size, n=n, p=p, ndim=ndim, dtype=dtype, **kwargs)

    def multinomial(self, size: Any = None, n: Any = 1, pvals: Any = None,
                    ndim: int | None = None, dtype: str = "int64", nstreams: Any = None,
                    **kwargs: Any) -> RandomSample:
        """One count vector of ``n`` draws per row of the probability matrix ``pvals``."""
        if pvals is None:
            raise TypeError("MRG_RandomStreams.multinomial: pvals is required")
        pvals = as_tensor_variable(pvals)
        if pvals.ndim != 2:
            raise TypeError(f"MRG_RandomStreams.multinomial: pvals must be a matrix (one "
                            f"distribution per row), got {pvals.type}")
        return super().multinomial(None, n=n, pvals=pvals, dtype=dtype)
