"""Theano's ``theano.sandbox`` path, kept for imports such as ``sandbox.rng_mrg``."""
