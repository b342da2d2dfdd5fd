"""Theano's ``theano.tensor.shared_randomstreams`` path: ``RandomStreams`` lives in core."""

from ..core.random import RandomStreams, RandomVariable

__all__ = ["RandomStreams", "RandomVariable"]
