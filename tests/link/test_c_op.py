"""User C ops (Theano's c_code interface) in the C linker: compiled into an extension module,
cached by source and c_code_cache_version, errors raised through %(fail)s."""

from __future__ import annotations

import os

import numpy as np
import pytest

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph import Apply, Op
from nbgraph.link import c_op
from nbgraph.link.cache import find_compiler

pytestmark = pytest.mark.skipif(find_compiler() is None, reason="no C compiler")


class Clip01(Op):
    """Elementwise clip to [0, 1] in C, with a helper from c_support_code; fails on NaN."""

    __props__ = ("version",)

    def __init__(self, version=(1,)):
        self.version = version

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def c_code_cache_version(self):
        return self.version

    def c_support_code(self):
        return "static double clip01(double v) { return v < 0 ? 0 : (v > 1 ? 1 : v); }"

    def c_code(self, node, name, inp, out, sub):
        x, = inp
        z, = out
        template = """
        Py_XDECREF(%(z)s);
        %(z)s = (PyArrayObject*)PyArray_FromAny((PyObject*)%(x)s, NULL, 0, 0,
                                                NPY_ARRAY_ENSURECOPY | NPY_ARRAY_C_CONTIGUOUS,
                                                NULL);
        if (!%(z)s) %(fail)s;
        {
            dtype_%(z)s* data = (dtype_%(z)s*)PyArray_DATA(%(z)s);
            for (npy_intp i = 0; i < PyArray_SIZE(%(z)s); i++) {
                if (data[i] != data[i]) {
                    PyErr_SetString(PyExc_ValueError, "Clip01: NaN in the input");
                    %(fail)s;
                }
                data[i] = clip01(data[i]);
            }
        }
        """
        return template % dict(x=x, z=z, fail=sub['fail'])  # Theano's %-templates


def test_c_op_runs_compiled_and_matches_numpy():
    x = T.dmatrix('x')
    f = theano.function([x], Clip01()(x) * 2)
    value = np.random.RandomState(0).normal(size=(4, 5))
    np.testing.assert_array_equal(f(value), 2 * np.clip(value, 0, 1))
    np.testing.assert_array_equal(f(value.T.copy().T), 2 * np.clip(value, 0, 1))
    assert "nbg_cop_" in next(iter(c_op._MODULES))


def test_fail_raises_the_ops_python_error():
    x = T.dvector('x')
    f = theano.function([x], Clip01()(x))
    with pytest.raises(ValueError, match="NaN in the input"):
        f(np.array([0.5, np.nan]))
    np.testing.assert_array_equal(f(np.array([-1.0, 0.25, 3.0])), [0.0, 0.25, 1.0])


def test_cached_by_version_and_uncached_when_empty(tmp_path, monkeypatch):
    monkeypatch.setattr(theano.config, "compiledir", str(tmp_path))
    x = T.dvector('x')
    for version in [(7,), (8,)]:
        c_op._MODULES.clear()
        theano.function([x], Clip01(version)(x))(np.zeros(2))
    entries = [e for e in os.listdir(tmp_path) if e.startswith("_nbg_") and "." not in e]
    assert len(entries) == 2          # one cached module per version
    c_op._MODULES.clear()
    theano.function([x], Clip01(())(x))(np.zeros(2))
    assert len([e for e in os.listdir(tmp_path) if e.startswith("_nbg_") and "." not in e]) == 2
