"""Theano's ``theano.tensor.shared_randomstreams`` path: ``RandomStreams`` lives in core."""

from ..ops.random import RandomStreams, RandomVariable

__all__ = ["RandomStreams", "RandomVariable"]
