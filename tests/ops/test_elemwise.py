"""Elemwise broadcasting and dtype rules, DimShuffle, and reductions against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad


def run(inputs, outputs, *values):  # noqa: ANN001, ANN201
    return th.function(inputs, outputs)(*values)


# -- broadcasting ---------------------------------------------------------------------------
def test_broadcast_row_col_and_vector(rng) -> None:  # noqa: ANN001
    r, c, v = T.drow("r"), T.dcol("c"), T.dvector("v")
    rv, cv, vv = rng.random((1, 4)), rng.random((3, 1)), rng.random(4)
    out = r + c * v
    assert out.broadcastable == (False, False)
    np.testing.assert_allclose(run([r, c, v], out, rv, cv, vv), rv + cv * vv, rtol=1e-15)


def test_static_shape_mismatch_names_both_sides_and_op() -> None:
    x = T.tensor("float64", shape=(3,), name="x")
    y = T.tensor("float64", shape=(4,), name="y")
    with pytest.raises(ValueError, match=r"add.*x float64\[3\].*y float64\[4\]"):
        x + y


def test_runtime_shape_mismatch_names_node_and_shapes() -> None:
    x, y = T.dvectors("x", "y")
    f = th.function([x, y], x * y)
    with pytest.raises(ValueError) as err:
        f(np.ones(3), np.ones(4))
    text = str(err.value)
    assert "Elemwise{mul,no_inplace}" in text and "(3,)" in text and "(4,)" in text
    assert "x" in text and "y" in text


def test_undeclared_broadcast_is_an_error_as_in_theano() -> None:
    x, y = T.dmatrices("x", "y")
    f = th.function([x, y], x + y)
    with pytest.raises(ValueError, match="broadcastable"):
        f(np.ones((1, 3)), np.ones((5, 3)))


# -- dtypes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b, expected", [
    ("float32", "float32", "float32"), ("float32", "float64", "float64"),
    ("int32", "float32", "float64"), ("int8", "int16", "int16"), ("bool", "int8", "int8"),
])
def test_promotion_follows_numpy(a: str, b: str, expected: str) -> None:
    x, y = T.vector(dtype=a), T.vector(dtype=b)
    assert (x + y).dtype == expected == str(np.result_type(np.dtype(a), np.dtype(b)))


@pytest.mark.parametrize("build", [lambda x: x * 2.0, lambda x: x + 1, lambda x: 2.5 - x,
                                   lambda x: x ** 2, lambda x: x / 3])
def test_python_scalars_do_not_upcast_float32(build) -> None:  # noqa: ANN001
    x = T.fvector("x")
    out = build(x)
    assert out.dtype == "float32"
    value = np.arange(1, 4, dtype="float32")
    assert run([x], out, value).dtype == np.float32
    np.testing.assert_allclose(run([x], out, value), build(value), rtol=1e-6)


def test_python_float_upcasts_int_like_numpy() -> None:
    i = T.ivector("i")
    assert (i * 2.5).dtype == "float64"
    assert (i + 1).dtype == "int32"
    assert (i / 2).dtype == "float64"


@pytest.mark.parametrize("build, dtype, wider", [
    (lambda b: b + 1000, "int8", "int16"),
    (lambda b: 300 * b, "int8", "int16"),
    (lambda u: u - (-1), "uint8", "int16"),
    (lambda u: u - 1, "uint8", "int16"),
])
def test_python_int_out_of_range_upcasts_like_theano(build, dtype, wider) -> None:  # noqa: ANN001
    # Theano 1.0 gives 1000 and 300 the dtype int16, -1 and 1 int8: the sum is int16, exact
    x = T.vector("b", dtype=dtype)
    out = build(x)
    assert out.dtype == wider
    info = np.iinfo(dtype)
    value = np.array([info.min, 0, info.max], dtype=dtype)
    np.testing.assert_array_equal(run([x], out, value), build(value.astype(wider)))


def test_float_math_on_ints_follows_theano() -> None:
    assert T.exp(T.ivector()).dtype == "float64"
    assert T.exp(T.bvector()).dtype == "float32"
    assert T.exp(T.fvector()).dtype == "float32"


def test_bitwise_on_floats_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="and_.*integer or bool"):
        T.and_(T.dvector(), T.dvector())


# -- DimShuffle -------------------------------------------------------------------------------
def test_dimshuffle_transpose_and_new_axes(rng) -> None:  # noqa: ANN001
    x = T.dtensor3("x")
    value = rng.random((2, 3, 4))
    out = x.dimshuffle(2, "x", 0, 1)
    assert out.broadcastable == (False, True, False, False)
    np.testing.assert_array_equal(run([x], out, value), value.transpose(2, 0, 1)[:, None])


def test_dimshuffle_drops_only_broadcastable_dims() -> None:
    with pytest.raises(ValueError, match="not broadcastable"):
        T.dmatrix().dimshuffle(1)
    r = T.drow()
    assert r.dimshuffle(1).ndim == 1


def test_dimshuffle_gradient() -> None:
    verify_grad(lambda x: x.dimshuffle(1, "x", 0) * np.arange(6.0).reshape(3, 1, 2),
                [np.random.default_rng(0).random((2, 3))])


# -- reductions ------------------------------------------------------------------------------
REDUCTIONS = [("sum", np.sum), ("prod", np.prod), ("max", np.max), ("min", np.min),
              ("mean", np.mean), ("var", np.var), ("std", np.std)]


@pytest.mark.parametrize("name, ref", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_matches_numpy(name, ref, axis, keepdims, rng) -> None:  # noqa: ANN001
    x = T.dtensor3("x")
    value = rng.uniform(0.5, 1.5, (2, 3, 4))
    out = getattr(T, name)(x, axis=axis, keepdims=keepdims)
    got = run([x], out, value)
    want = ref(value, axis=axis, keepdims=keepdims)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "var", "std"])
@pytest.mark.parametrize("axis", [None, 1, (0, 2)])
def test_reduction_gradient(name: str, axis) -> None:  # noqa: ANN001
    value = np.random.default_rng(1).uniform(0.5, 1.5, (2, 3, 4))
    verify_grad(lambda x: getattr(T, name)(x, axis=axis), [value])


@pytest.mark.parametrize("dtype, acc", [("int8", "int64"), ("bool", "int64"),
                                        ("float32", "float32"), ("uint8", "uint64")])
def test_sum_accumulates_small_ints_in_64_bits(dtype: str, acc: str) -> None:
    x = T.vector(dtype=dtype)
    assert T.sum(x).dtype == acc
    value = np.full(300, 1).astype(dtype)
    assert run([x], T.sum(x), value) == 300


@pytest.mark.parametrize("fn, ref", [(T.argmax, np.argmax), (T.argmin, np.argmin)])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_argmax_argmin(fn, ref, axis, rng) -> None:  # noqa: ANN001
    x = T.dmatrix()
    value = rng.random((4, 5))
    np.testing.assert_array_equal(run([x], fn(x, axis=axis), value), ref(value, axis=axis))


def test_all_any(rng) -> None:  # noqa: ANN001
    x = T.dmatrix()
    value = (rng.random((3, 4)) > 0.3).astype(float)
    f = th.function([x], [T.all(x, axis=1), T.any(x, axis=0), x.all(), x.any()])
    got = f(value)
    for g, w in zip(got, [value.all(1), value.any(0), value.all(), value.any()], strict=True):
        np.testing.assert_array_equal(g, w)


def test_reduction_axis_out_of_range_is_clear() -> None:
    with pytest.raises(ValueError, match="axis 2 is out of range for a 2-d input"):
        T.sum(T.dmatrix(), axis=2)


def test_zero_size_sum(rng) -> None:  # noqa: ANN001
    x = T.dmatrix()
    np.testing.assert_array_equal(run([x], x.sum(axis=0), np.zeros((0, 3))), np.zeros(3))


def _prod_others(value: np.ndarray, axis: int) -> np.ndarray:
    """d prod / dx_i = the product of the other elements along ``axis`` (exact, no division)."""
    moved = np.moveaxis(value, axis, -1)
    out = np.empty_like(moved)
    for i in range(moved.shape[-1]):
        out[..., i] = np.prod(np.delete(moved, i, axis=-1), axis=-1)
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("row", [[2.0, 3.0, 4.0], [0.0, 3.0, 4.0], [2.0, 0.0, 0.0],
                                 [0.0, 0.0, 0.0]], ids=["no_zero", "one_zero", "two_zeros",
                                                        "all_zeros"])
def test_prod_gradient_is_exact_with_zeros(row: list[float], linker: str) -> None:
    from nbgraph.compile.mode import Mode
    x = T.dmatrix("x")
    value = np.array([row, [1.5, -2.0, 0.5]])  # the second row has no zero
    g = th.grad(T.sum(T.prod(x, axis=1) * np.array([1.0, 2.0])), x)
    got = th.function([x], g, mode=Mode(linker=linker))(value)
    np.testing.assert_allclose(got, _prod_others(value, 1) * [[1.0], [2.0]], rtol=1e-15)
    verify_grad(lambda x: T.prod(x, axis=1), [value])
    verify_grad(lambda x: T.prod(x), [value])


# -- the scalar-op protocol Elemwise relies on ------------------------------------------------
class _Twice:
    """A scalar op that is neither a table row nor a Composite: only the protocol."""

    name, nin, associative = "twice", 1, False

    def numpy(self, x: np.ndarray) -> np.ndarray:
        return 2 * x

    def out_dtypes(self, dtypes: tuple[str, ...]) -> tuple[str, ...]:
        return (dtypes[0],)

    def input_grads(self, inputs, outputs, output_grads) -> list:  # noqa: ANN001
        return [output_grads[0] * 2]


def test_elemwise_uses_only_the_scalar_op_protocol(rng) -> None:  # noqa: ANN001
    from nbgraph.ops.composite import Composite, Step
    from nbgraph.ops.elemwise import Elemwise
    from nbgraph.ops.scalar import SCALAR_BY_NAME
    assert SCALAR_BY_NAME["exp"].out_dtypes(("int32",)) == ("float64",)
    exp = SCALAR_BY_NAME["exp"]
    fused = Composite(1, ("float64",), (Step(exp, (0,), "float64", 0),), (1,))
    assert fused.out_dtypes(("float64",)) == ("float64",)
    x = T.drow("x")
    value = rng.normal(size=(1, 3))
    for op, want, slope in [(Elemwise(_Twice()), 2 * value, 2.0 + 0 * value),
                            (Elemwise(fused), np.exp(value), np.exp(value))]:
        out = op(x)
        assert out.broadcastable == (True, False)
        np.testing.assert_allclose(run([x], out, value), want, rtol=1e-15)
        g = th.grad(T.sum(out * T.constant(np.ones((4, 1)))), x)  # broadcast, then summed
        assert g.broadcastable == (True, False)
        np.testing.assert_allclose(run([x], g, value), 4 * slope, rtol=1e-15)


def test_pp_of_an_op_with_only_the_scalar_protocol() -> None:
    # pp read a table row's ``symbol``, which the ScalarOp protocol does not promise
    from nbgraph.ops.elemwise import Elemwise
    x = T.dvector("x")
    assert th.printing.pp(Elemwise(_Twice())(x)) == "twice(x)"


@pytest.mark.parametrize("name", ["exp", "sigmoid", "softplus", "log1p", "sqrt"])
def test_float_math_on_uint8_is_not_done_in_float16(name: str) -> None:
    x = T.vector(dtype="uint8")
    out = getattr(T, name)(x)
    assert out.dtype == "float32"
    value = np.array([0, 3, 200], dtype="uint8")
    f = th.function([x], out, mode=th.Mode(linker="py"))
    want = T.elemwise(name).scalar_op.numpy(value.astype("float32"))
    np.testing.assert_allclose(f(value), want, rtol=1e-7)


def test_integer_negative_power_raises_like_numpy_on_every_linker(linker: str) -> None:
    if linker == "cuda":
        pytest.skip("CUDA kernels cannot raise")
    i = T.ivector("i")
    f = th.function([i], i ** T.constant(np.int32(-1)), mode=th.Mode(linker=linker))
    with pytest.raises(ValueError, match="negative integer powers"):
        f(np.array([1, 2], dtype="int32"))


@pytest.mark.parametrize("fn, ref", [(T.argmax, np.argmax), (T.argmin, np.argmin)])
@pytest.mark.parametrize("shape, axis", [((2, 0), 0), ((0, 3), 1), ((0, 2, 3), (1, 2))])
def test_argmax_with_an_empty_kept_axis(fn, ref, shape, axis, linker) -> None:  # noqa: ANN001
    # issue 12 #4: the Python linker raised on argmax(zeros((2, 0)), axis=0); NumPy gives (0,)
    x = T.tensor(dtype="float64", shape=(None,) * len(shape))
    f = th.function([x], fn(x, axis=axis), mode=th.Mode(linker=linker))
    got = f(np.zeros(shape))
    assert got.shape == (0,) * (len(shape) - (len(axis) if isinstance(axis, tuple) else 1))
    assert got.dtype == np.int64
    if not isinstance(axis, tuple):
        np.testing.assert_array_equal(got, ref(np.zeros(shape), axis=axis))


@pytest.mark.parametrize("build, op", [(lambda a, b: a - b, "sub"), (lambda a, b: -a, "neg"),
                                       (lambda a, b: T.sub(a, b), "sub")])
def test_boolean_minus_is_refused_at_build(build, op) -> None:  # noqa: ANN001
    # issue 12 #5: bool - bool built; the Python linker then raised, C returned values
    a, b = T.vector("a", dtype="bool"), T.vector("b", dtype="bool")
    with pytest.raises(TypeError, match=rf"Elemwise{{{op},no_inplace}}: no boolean minus"):
        build(a, b)
    assert (a - T.vector(dtype="int8")).dtype == "int8"   # one bool side is fine, as in NumPy
    assert (-T.cast(a, "int8")).dtype == "int8"


@pytest.mark.parametrize("value", ["abc", b"abc", np.array(["x", "y"])])
def test_string_constants_are_refused_at_build(value) -> None:  # noqa: ANN001
    # issue 12 #6: x + 'abc' built a TensorType(<U32)
    x = T.dvector("x")
    with pytest.raises(TypeError, match=r"Elemwise{add,no_inplace}: cannot make a tensor "
                                        r"constant from .*tensors hold numbers"):
        x + value
    with pytest.raises(TypeError, match="tensors hold numbers"):
        T.constant(value)


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_rules_that_negate_do_not_build_boolean_minus(mode: str) -> None:
    # stabilize rewrites log(1 - x) to log1p(-x) and 1 - sigmoid(x) to sigmoid(-x): on a
    # bool x, the negation must go through an integer (bool minus is refused at build)
    x = T.vector("x", dtype="bool")
    value = np.array([True, False])
    f = th.function([x], [T.log(1 - x), 1 - T.nnet.sigmoid(x)], mode=mode)
    with np.errstate(divide="ignore"):
        got = f(value)
        want = [np.log(1 - value.astype("int64")), 1 / (1 + np.exp(value.astype("float32")))]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6)
