"""Small behaviours classic Theano programs (the Theano 1.0 docs) rely on, each one a program
that stopped before: ``theano.dot``, ``theano.change_flags``, ``THEANO_FLAGS=optimizer=...``,
``pydotprint`` into a new folder, ``sparse.structured_add(x, 2)``."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import scipy.sparse as sp

import nbgraph as theano
import nbgraph.sparse as sparse
import nbgraph.tensor as T
from nbgraph import config
from nbgraph.compile.mode import get_default_mode


def test_theano_dot_takes_sparse_and_dense_operands() -> None:
    x, w = sparse.csr_matrix("x"), T.dmatrix("w")
    xv, wv = np.array([[0.0, 2.0], [1.0, 0.0]]), np.arange(4.0).reshape(2, 2)
    out = theano.function([x, w], theano.dot(x, w))(sp.csr_matrix(xv), wv)
    np.testing.assert_allclose(out, xv @ wv)
    np.testing.assert_allclose(theano.dot(w, w).eval({w: wv}), wv @ wv)


def test_get_scalar_constant_value_at_top_level() -> None:
    assert theano.get_scalar_constant_value(T.constant(3) + 1) == 4


def test_change_flags_as_context_and_decorator() -> None:
    with theano.config.change_flags(floatX="float32"):
        assert T.vector().dtype == "float32"
    assert T.vector().dtype == config.floatX == "float64"

    @theano.change_flags(floatX="float32")
    def build() -> str:
        return T.matrix().dtype

    assert build() == "float32" and T.matrix().dtype == "float64"


def test_change_flags_restores_after_an_error() -> None:
    with pytest.raises(ValueError, match="floatX"), config.change_flags(floatX="float16"):
        config.floatX = "int8"   # refused; the block's value is still restored
    assert config.floatX == "float64"


@pytest.mark.parametrize("optimizer, fired", [("None", False), ("fast_compile", True),
                                              ("fast_run", True)])
def test_optimizer_flag_sets_the_default_mode(optimizer: str, fired: bool) -> None:
    # THEANO_FLAGS=optimizer=None python script.py: Theano's debugging recipe (fast_compile
    # runs stabilize: log1p)
    x = T.dmatrix("x")
    with config.change_flags(optimizer=optimizer, linker="py"):
        mode = get_default_mode()
        fn = theano.function([x], T.log(1 + x))
    assert mode.linker == "py"
    names = [str(node.op) for node in fn.maker.fgraph.toposort()]
    assert any("log1p" in n for n in names) is fired
    np.testing.assert_allclose(fn(np.full((1, 2), 0.5)), np.log1p(np.full((1, 2), 0.5)))
    assert get_default_mode() is not mode   # restored: FAST_RUN again
    assert get_default_mode().optimizer == "fast_run"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
def test_pydotprint_makes_the_output_folder(tmp_path) -> None:  # noqa: ANN001
    # the tutorial writes outfile="pics/logreg_pydotprint_predict.png"
    x = T.dvector("x")
    target = tmp_path / "pics" / "f.svg"
    theano.printing.pydotprint(theano.function([x], T.exp(x)), outfile=str(target),
                               format="svg", print_output_file=False)
    assert target.read_bytes().lstrip().startswith(b"<")


def test_structured_add_of_a_scalar() -> None:
    # doc/library/sparse: structured_add(x, 2) adds 2 to the stored values only
    x = sparse.csc_matrix(name="x", dtype="float32")
    a = np.asarray([[0, 0, -1], [0, -2, 1], [3, 0, 0]], dtype="float32")
    out = theano.function([x], sparse.structured_add(x, 2))(sp.csc_matrix(a)).toarray()
    np.testing.assert_array_equal(out, [[0, 0, 1], [0, 0, 3], [5, 0, 0]])
    v = T.fvector("v")
    by_col = theano.function([x, v], sparse.structured_add(x, v))(
        sp.csc_matrix(a), np.array([10, 20, 30], dtype="float32")).toarray()
    np.testing.assert_array_equal(by_col, np.where(a != 0, a + [10, 20, 30], 0))


class _Double(theano.Op):
    """The "Extending Theano" tutorial's DoubleOp."""

    __props__ = ()

    def make_node(self, x):  # noqa: ANN001, ANN201
        x = T.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):  # noqa: ANN001, ANN201
        output_storage[0][0] = inputs[0] * 2

    def infer_shape(self, node, shapes):  # noqa: ANN001, ANN201
        return shapes

    def grad(self, inputs, output_grads):  # noqa: ANN001, ANN201
        return [output_grads[0] * 2]


class _DoubleNoShape(_Double):
    infer_shape = None  # type: ignore[assignment]


def test_unittest_tools_as_in_extending_theano() -> None:
    # from theano.tests import unittest_tools as utt; class T(utt.InferShapeTester): ...
    from nbgraph.tests import unittest_tools as utt
    tester = utt.InferShapeTester()
    tester.setUp()
    x = T.dmatrix("x")
    tester._compile_and_check([x], [_Double()(x)], [np.random.rand(5, 6)], _Double)
    with pytest.raises(AssertionError, match="infer_shape"):
        tester._compile_and_check([x], [_DoubleNoShape()(x)], [np.random.rand(5, 6)],
                                  _DoubleNoShape)
    utt.verify_grad(_Double(), [np.random.rand(5, 7)])
    with pytest.raises(AssertionError, match="verify_grad"):
        utt.verify_grad(lambda v: _DoubleNoShape()(v) ** 2 + theano.gradient.zero_grad(v) ** 2,
                        [np.random.rand(2, 3)])
    assert utt.seed_rng() == utt.fetch_seed() == 666


def test_theano_module_paths_import() -> None:
    # import lines of classic Theano code (Lasagne, the tutorials) that had no module here
    from nbgraph.compile.sharedvalue import SharedVariable
    from nbgraph.tensor.nnet.sigm import hard_sigmoid, ultra_fast_sigmoid
    from nbgraph.tensor.sharedvar import TensorSharedVariable
    from nbgraph.tensor.sort import argsort, sort
    from nbgraph.tensor.subtensor import AdvancedSubtensor1, set_subtensor
    from nbgraph.tensor.type import TensorType
    w = theano.shared(np.array([3.0, 1.0, 2.0]))
    assert isinstance(w, TensorSharedVariable) and isinstance(w, SharedVariable)
    v = TensorType("float64", (False,))("v")
    out = theano.function([v], [sort(v), argsort(v), set_subtensor(v[[0]], [9.0]),
                                ultra_fast_sigmoid(v), hard_sigmoid(v)])(w.get_value())
    np.testing.assert_array_equal(out[0], [1, 2, 3])
    np.testing.assert_array_equal(out[1], [1, 2, 0])
    np.testing.assert_array_equal(out[2], [9, 1, 2])
    assert issubclass(AdvancedSubtensor1, theano.Op)


@pytest.mark.parametrize("linker", ["py", "c", "c|py", "vm", "vm_nogc", "cvm", "cvm_nogc",
                                    "c|py_nogc"])
def test_every_theano_linker_name(linker: str) -> None:
    # THEANO_FLAGS=linker=...: all of Theano's predefined linker names
    x = T.dvector("x")
    fn = theano.function([x], T.exp(x).sum(), mode=theano.Mode(linker=linker))
    np.testing.assert_allclose(fn(np.ones(2)), 2 * np.e, rtol=1e-12)
