"""``theano.tests.unittest_tools``: re-exports of ``nbgraph.compile.unittest_tools``."""

from ..compile.unittest_tools import (  # noqa: F401
    InferShapeTester,
    fetch_seed,
    seed_rng,
    verify_grad,
)
