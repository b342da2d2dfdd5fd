"""The JAX linker as a linker: mode names, shared variables with functional updates, random
streams keyed in their state, the jaxpr/StableHLO views, profiling, errors, and that
``import nbgraph`` does not import JAX."""

from __future__ import annotations

import html
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.tensor.shared_randomstreams import RandomStreams

jax = pytest.importorskip("jax")

from nbgraph.link.jax_linker import NOT_TRACED, JaxLinker, jax_call_of  # noqa: E402


def test_import_nbgraph_does_not_import_jax():
    code = "import sys, nbgraph, nbgraph.tensor; sys.exit('jax' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()


def test_without_jax_the_mode_says_what_to_install():
    code = ("import sys; sys.modules['jax'] = None\n"
            "import numpy as np, nbgraph, nbgraph.tensor as T\n"
            "x = T.dvector('x')\n"
            "assert nbgraph.function([x], x * 2)(np.ones(2)).tolist() == [2.0, 2.0]\n"
            "try:\n    nbgraph.function([x], x * 2, mode='JAX')\n"
            "except ImportError as err:\n    print(err)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "pip install 'nbgraph[jax]'" in result.stdout


@pytest.mark.parametrize("mode", ["JAX", Mode("jax"), Mode(linker=JaxLinker())])
def test_mode_names_reach_the_linker(mode, rng):
    x = T.dvector("x")
    fn = nbgraph.function([x], T.exp(x).sum(), mode=mode)
    value = rng.standard_normal(5)
    assert isinstance(fn(value), np.ndarray)
    np.testing.assert_allclose(fn(value), np.exp(value).sum(), rtol=1e-14)
    assert jax_call_of(fn) is not None


def test_sgd_updates_match_the_c_linker(rng):
    """Shared variables are inputs, updates outputs of one jitted program: ten SGD steps of
    logistic regression give the C linker's weights and costs."""
    x, y = T.dmatrix("x"), T.dvector("y")
    data = rng.standard_normal((20, 3)), (rng.random(20) > 0.5).astype(float)
    results = {}
    for mode in ("JAX", "FAST_RUN"):
        w = nbgraph.shared(np.zeros(3), name="w")
        b = nbgraph.shared(0.0, name="b")
        p = T.nnet.sigmoid(T.dot(x, w) + b)
        cost = T.nnet.binary_crossentropy(p, y).mean() + 0.01 * (w ** 2).sum()
        gw, gb = nbgraph.grad(cost, [w, b])
        train = nbgraph.function([x, y], cost, updates=[(w, w - 0.5 * gw), (b, b - 0.5 * gb)],
                                 mode=mode)
        costs = [float(train(*data)) for _ in range(10)]
        results[mode] = costs, w.get_value(), float(b.get_value())
    np.testing.assert_allclose(results["JAX"][0], results["FAST_RUN"][0], rtol=1e-12)
    np.testing.assert_allclose(results["JAX"][1], results["FAST_RUN"][1], rtol=1e-12)
    assert results["JAX"][0][-1] < results["JAX"][0][0]


def test_a_shared_variable_is_shared_with_other_linkers(rng):
    # train on JAX, predict with the C linker (and back): the stored value is NumPy on CPU
    x = T.dvector("x")
    w = nbgraph.shared(np.ones(4), name="w")
    step = nbgraph.function([x], [], updates=[(w, w * 2 + x)], mode="JAX")
    read = nbgraph.function([x], T.dot(w, x), mode="FAST_RUN")
    value = rng.standard_normal(4)
    step(value)
    np.testing.assert_allclose(read(value), np.dot(2 + value, value), rtol=1e-14)
    w.set_value(np.zeros(4))
    step(value)
    np.testing.assert_allclose(w.get_value(), value, rtol=1e-14)
    # the C linker updates it too (XLA's buffer is read-only: it writes a new one)
    double = nbgraph.function([], [], updates=[(w, w * 2)], mode="FAST_RUN")
    held = w.get_value(borrow=True)
    double()
    np.testing.assert_allclose(w.get_value(), 2 * value, rtol=1e-14)
    np.testing.assert_allclose(held, value, rtol=1e-14)
    step(value)
    np.testing.assert_allclose(w.get_value(), 5 * value, rtol=1e-14)


def test_a_failing_call_changes_no_shared_variable():
    x = T.dvector("x")
    w = nbgraph.shared(np.ones(3), name="w")
    fn = nbgraph.function([x], (w * x).sum(), updates=[(w, w + x)], mode="JAX")
    with pytest.raises(Exception, match="(?s)(shape|broadcast|incompatible).*jitted program"):
        fn(np.ones(4))
    np.testing.assert_array_equal(w.get_value(), np.ones(3))


def test_copy_pickle_and_stateful_inputs():
    x = T.dvector("x")
    acc = T.dvector("acc")
    fn = nbgraph.function([x, nbgraph.In(acc, value=np.zeros(2), update=acc + x)], acc * 2,
                          mode="JAX")
    np.testing.assert_array_equal(fn(np.ones(2)), [0.0, 0.0])
    np.testing.assert_array_equal(fn(np.ones(2)), [2.0, 2.0])     # acc kept its update
    for other in (fn.copy(), pickle.loads(pickle.dumps(fn))):
        assert jax_call_of(other) is not None
        np.testing.assert_array_equal(other(np.ones(2)), [0.0, 0.0])


def test_outputs_are_writable_numpy_arrays():
    x = T.dvector("x")
    out = nbgraph.function([x], x * 2, mode="JAX")(np.ones(3))
    assert type(out) is np.ndarray and out.flags.writeable
    out += 1  # Theano's outputs belong to the caller


def test_inputs_returned_as_outputs_and_constant_outputs():
    x = T.dvector("x")
    fn = nbgraph.function([x], [x, T.constant(np.arange(3.0)), x + 1], mode="JAX")
    a = np.ones(3)
    got = fn(a)
    np.testing.assert_array_equal(got[0], a)
    assert got[0] is not a
    np.testing.assert_array_equal(got[1], np.arange(3.0))
    np.testing.assert_array_equal(got[2], a + 1)


# -- random streams ---------------------------------------------------------------------------
def test_random_streams_advance_and_reseed():
    srng = RandomStreams(seed=7)
    u = srng.uniform((3, 4), low=-1.0, high=2.0)
    fn = nbgraph.function([], u, mode="JAX")
    first, second = fn(), fn()
    assert first.shape == (3, 4) and first.dtype == np.float64
    assert not np.array_equal(first, second)           # the state advanced
    assert ((first >= -1) & (first < 2)).all()
    srng.seed(7)
    np.testing.assert_array_equal(fn(), first)          # reseeding restarts the stream
    state = u.rng.get_value(borrow=True, return_internal_type=True)
    assert state.dtype == np.uint64 and state.shape == (627,)  # a packed RandomState


@pytest.mark.parametrize(("draw", "mean", "std"), [
    (lambda s: s.uniform((20000,), low=2.0, high=4.0), 3.0, 2 / np.sqrt(12)),
    (lambda s: s.normal((20000,), avg=1.0, std=2.0), 1.0, 2.0),
    (lambda s: s.normal((20000,), avg=0.0, std=1.0, truncate=True), 0.0, 0.8796),
    (lambda s: s.binomial((20000,), n=10, p=0.3), 3.0, np.sqrt(2.1)),
    (lambda s: s.random_integers((20000,), low=1, high=6), 3.5, np.sqrt(35 / 12)),
    (lambda s: s.choice((20000,), a=4), 1.5, np.sqrt(1.25)),
    (lambda s: s.choice((20000,), a=T.constant(np.array([1.0, 5.0])),
                        p=T.constant(np.array([0.75, 0.25]))), 2.0, np.sqrt(3.0)),
], ids=["uniform", "normal", "truncated", "binomial", "integers", "choice", "choice_p"])
def test_distributions_have_their_moments(draw, mean, std):
    sample = nbgraph.function([], draw(RandomStreams(seed=3)), mode="JAX")()
    assert abs(sample.mean() - mean) < 5 * std / np.sqrt(sample.size)
    assert abs(sample.std() - std) < 0.05 * std


def test_random_streams_draw_the_other_linkers_numbers():
    """The draws run NumPy's RandomState on the host (jax_random.py): a seed gives the C
    linker's samples, call after call, inside scan too."""
    def draws(mode):
        srng = RandomStreams(seed=11)
        outs = [srng.uniform((2, 3)), srng.normal((4,)), srng.binomial((5,), n=3, p=0.4),
                srng.permutation((2,), n=4), srng.multinomial((2,), n=5, pvals=[0.5, 0.5])]
        steps, updates = nbgraph.scan(lambda: srng.uniform((2,)), n_steps=3)
        fn = nbgraph.function([], [*outs, steps], updates=updates, mode=mode)
        return [fn() for _ in range(2)]

    for want, got in zip(draws("FAST_RUN"), draws("JAX"), strict=True):
        for w, g in zip(want, got, strict=True):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)


def test_permutations_and_multinomial():
    srng = RandomStreams(seed=5)
    perms = nbgraph.function([], srng.permutation((50,), n=6), mode="JAX")()
    assert perms.shape == (50, 6)
    assert (np.sort(perms, axis=1) == np.arange(6)).all()
    counts = nbgraph.function([], srng.multinomial((40,), n=9, pvals=[0.2, 0.3, 0.5]),
                              mode="JAX")()
    assert counts.shape == (40, 3) and (counts.sum(axis=1) == 9).all()


def test_random_draws_inside_scan_differ_per_step():
    srng = RandomStreams(seed=11)
    noise, updates = nbgraph.scan(lambda: srng.normal((3,)), n_steps=5)
    fn = nbgraph.function([], noise, updates=updates, mode="JAX")
    first = fn()
    assert first.shape == (5, 3)
    assert len({tuple(row) for row in first}) == 5
    assert not np.array_equal(fn(), first)


# -- what the notebook shows ---------------------------------------------------------------
def test_jaxpr_and_stablehlo_of_the_whole_function(rng):
    x = T.dmatrix("x")
    fn = nbgraph.function([x], T.tanh(T.dot(x, x.T)).sum(), mode="JAX")
    call = jax_call_of(fn)
    assert str(call) == NOT_TRACED
    with pytest.raises(ValueError, match="call the function once"):
        call.jaxpr()
    fn(rng.standard_normal((3, 2)))
    jaxpr = call.jaxpr()
    assert "dot_general" in jaxpr and "tanh" in jaxpr and "f64[3,2]" in jaxpr
    assert "stablehlo.dot_general" in call.stablehlo()
    assert str(call) == jaxpr
    # the static shapes of the inputs are enough when they are all known
    y = T.TensorType("float64", shape=(2, 2))("y")
    assert "exp" in jax_call_of(nbgraph.function([y], T.exp(y), mode="JAX")).jaxpr()


def test_the_code_view_shows_jaxpr_then_stablehlo(rng):
    views = pytest.importorskip("nbgraph.widgets.views")
    x = T.dvector("x")
    fn = nbgraph.function([x], T.exp(x).sum(), mode="JAX")
    assert "first call" in views.view_code(fn).html
    fn(rng.standard_normal(4))
    labels = [label for label, _ in views.code_entries(fn)]
    assert labels == ["jaxpr of the whole jitted function", "StableHLO (what XLA compiles)"]
    html = views.view_code(fn).html
    assert "exp" in html and "reduce_sum" in html


def test_the_magic_shows_the_jaxpr_of_a_profiled_jax_function():
    symgraph = pytest.importorskip("nbgraph.widgets.symgraph")
    x = T.dvector("x")
    view = symgraph.symgraph({"x": x}, last=T.tanh(x).sum(), grad=["x"], mode="JAX",
                             profile=True, shapes={"x": (5,)})
    code = html.unescape(re.sub(r"<[^>]+>", "", view.views["Code"].html))
    assert "tanh" in code and "f64[5]" in code
    assert view.fn.profile.calls > 0


def test_profile_shows_the_whole_jitted_call(rng):
    x = T.dvector("x")
    fn = nbgraph.function([x], T.exp(x).sum() * 2, mode="JAX", profile=True)
    for _ in range(3):
        fn(rng.standard_normal(10))
    assert fn.profile.calls == 3
    timed = [node for node, calls, _, _ in fn.profile.rows() if calls]
    assert len(fn.profile.rows()) == len(fn.maker.fgraph.apply_nodes)
    assert "jax_trace_compile" in fn.profile.phases
    # the jitted call runs in the thunk of the last node; the others are empty
    slowest = fn.profile.rows()[0][0]
    assert slowest is list(fn.vm.nodes)[-1] and timed


def test_shard_inputs_needs_a_mesh():
    with pytest.raises(ValueError, match="needs a mesh"):
        JaxLinker(shard_inputs={"x": 0})
