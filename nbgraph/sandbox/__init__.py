"""Theano's ``theano.sandbox`` path, kept for imports such as ``sandbox.rng_mrg`` (also reached
as an attribute, ``theano.sandbox.rng_mrg.MRG_RandomStreams``, after ``import theano``)."""

from . import rng_mrg

__all__ = ["rng_mrg"]
