"""The public API contract (DESIGN §2): every Theano name exists at its Theano path.

One parametrised case per name, so a failure names exactly what is missing. Behaviour is
tested elsewhere; here only existence, identity across paths and the smallest smoke checks.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

MODULE_PATHS = [
    "nbgraph.tensor", "nbgraph.tensor.nnet", "nbgraph.tensor.nnet.conv",
    "nbgraph.tensor.shared_randomstreams", "nbgraph.sandbox.rng_mrg", "nbgraph.gradient",
    "nbgraph.printing", "nbgraph.ifelse", "nbgraph.compile.mode", "nbgraph.compile.nanguardmode",
    "nbgraph.compile.function_module", "nbgraph.misc.pkl_utils", "nbgraph.tensor.basic",
    "nbgraph.tensor.opt", "nbgraph.tensor.extra_ops", "nbgraph.tensor.signal",
    "nbgraph.tensor.signal.pool",
    # issue 14: what Theano-based libraries import
    "nbgraph.scalar", "nbgraph.scalar.basic", "nbgraph.gof", "nbgraph.gof.graph",
    "nbgraph.gpuarray", "nbgraph.gpuarray.dnn", "nbgraph.tensor.nnet.abstract_conv",
    "nbgraph.tensor.xlogx", "nbgraph.tensor.blas", "nbgraph.scan_module.scan_utils",
    "nbgraph.compile.ops", "nbgraph.compile.builders",
    "nbgraph.tensor.signal.pool", "nbgraph.tensor.slinalg", "nbgraph.tensor.nlinalg",
    "nbgraph.tensor.nnet.bn", "nbgraph.tensor.nnet.neighbours",
    "nbgraph.tensor.nnet.abstract_conv", "nbgraph.tensor.signal.conv", "nbgraph.sparse",
]

# (module, attribute) pairs; "nbgraph.tensor.nlinalg" is reached as ``T.nlinalg``
NAMES = [
    *[("nbgraph", n) for n in (
        "function", "shared", "In", "Out", "config", "pp", "grad", "scan", "Mode", "Function",
        "SharedVariable", "Variable", "Apply", "Constant", "gradient", "printing", "tensor",
        "load_ipython_extension")],
    *[("nbgraph.tensor", n) for n in (
        # types and constants
        "TensorType", "tensor", "as_tensor_variable", "constant", "TensorVariable",
        "TensorConstant", "grad",
        # elementwise math
        "exp", "log", "log1p", "expm1", "sqrt", "sqr", "abs_", "sin", "cos", "tan", "tanh",
        "sinh", "cosh", "arcsin", "arccos", "arctan", "arctan2", "erf", "erfc", "sigmoid",
        "softplus", "maximum", "minimum", "clip", "pow", "floor", "ceil", "round", "sgn",
        "switch", "where", "eq", "neq", "lt", "gt", "le", "ge", "and_", "or_", "xor",
        "invert", "isnan", "isinf", "cast",
        # reductions
        "sum", "prod", "mean", "var", "std", "max", "min", "argmax", "argmin", "all", "any",
        # linear algebra
        "dot", "tensordot", "outer", "batched_dot", "nlinalg",
        # shape ops
        "reshape", "flatten", "dimshuffle", "transpose", "concatenate", "stack", "join",
        "shape_padleft", "shape_padright", "zeros", "ones", "zeros_like", "ones_like", "fill",
        "alloc", "arange", "eye", "tile", "repeat", "diag",
        "addbroadcast", "unbroadcast", "patternbroadcast", "squeeze", "swapaxes", "roll", "split",
        # indexing and submodules
        "set_subtensor", "inc_subtensor", "nnet", "shared_randomstreams",
        # extra_ops, sorting and special functions
        "cumsum", "cumprod", "diff", "bincount", "fill_diagonal", "fill_diagonal_offset",
        "to_one_hot", "unravel_index", "ravel_multi_index", "sort", "argsort", "searchsorted",
        "gamma", "gammaln", "psi", "extra_ops", "basic", "opt", "signal")],
    # issue 15: the rest of theano.tensor
    *[("nbgraph.tensor", n) for n in (
        "tri", "tril", "triu", "diagonal", "take", "topk", "argtopk", "topk_and_argtopk",
        "mgrid", "ogrid", "stacklists", "horizontal_stack", "vertical_stack", "real", "imag",
        "conj", "angle", "complex", "complex_from_polar", "erfinv", "erfcinv", "erfcx", "j0",
        "j1", "i0", "i1", "jv", "iv", "gammainc", "gammaincc", "deg2rad", "rad2deg",
        "inverse_permutation", "permute_row_elements", "batched_tensordot",
        "get_scalar_constant_value", "extract_constant", "as_tensor", "NotScalarConstantError",
        "choose", "Choose", "chi2sf", "divmod", "cov", "bartlett", "consider_constant",
        "verify_grad", "numeric_grad", "grad_not_implemented", "gammau", "gammal",
        "specify_shape", "SpecifyShape", "get_vector_length", "float_dtypes", "int_dtypes",
        "discrete_dtypes", "continuous_dtypes", "all_dtypes", "isinf_", "isnan_", "Argmax")],
    *[("nbgraph.tensor.basic", n) for n in (
        "tril", "triu", "erfinv", "get_scalar_constant_value", "NotScalarConstantError")],
    *[("nbgraph.tensor.extra_ops", n) for n in (
        "compress", "Unique", "cpu_contiguous", "CpuContiguous", "bartlett", "Bartlett",
        "squeeze", "RepeatOp")],
    *[("nbgraph.tensor.extra_ops", n) for n in (
        "cumsum", "cumprod", "diff", "bincount", "repeat", "fill_diagonal",
        "fill_diagonal_offset", "to_one_hot", "unravel_index", "ravel_multi_index",
        "searchsorted", "CumOp")],
    *[("nbgraph.tensor.signal.pool", n) for n in (
        "pool_2d", "max_pool_2d_same_size", "Pool", "MaxPoolGrad", "AveragePoolGrad")],
    ("nbgraph.tensor.basic", "as_tensor_variable"), ("nbgraph.tensor.opt", "MakeVector"),
    ("nbgraph.tensor.nlinalg", "matrix_inverse"), ("nbgraph.tensor.nlinalg", "det"),
    *[("nbgraph.tensor.nlinalg", n) for n in (
        "eig", "eigh", "svd", "qr", "norm", "lstsq", "matrix_power", "diag", "extract_diag",
        "alloc_diag", "matrix_dot", "tensorinv", "tensorsolve", "trace", "pinv", "Eig", "Eigh",
        "EighGrad", "SVD", "QRFull", "Lstsq", "TensorInv", "TensorSolve", "MatrixPinv",
        "AllocDiag", "ExtractDiag")],
    *[("nbgraph.tensor.slinalg", n) for n in (
        "cholesky", "solve", "solve_lower_triangular", "solve_upper_triangular",
        "solve_symmetric", "eigvalsh", "expm", "kron", "Cholesky", "Solve", "Eigvalsh",
        "EigvalshGrad", "Expm", "ExpmGrad", "MATRIX_STRUCTURES")],
    *[("nbgraph.tensor.nnet", n) for n in (
        "sigmoid", "softmax", "logsoftmax", "relu", "softplus", "categorical_crossentropy",
        "binary_crossentropy", "conv2d")],
    *[("nbgraph.tensor.nnet", n) for n in (
        "softmax_with_bias", "crossentropy_softmax_1hot_with_bias",
        "crossentropy_categorical_1hot", "confusion_matrix", "h_softmax", "bn", "neighbours",
        "images2neibs", "neibs2images", "softmax_op", "logsoftmax_op", "softmax_grad",
        "softmax_graph", "prepend_0_to_each_row", "prepend_1_to_each_row",
        "prepend_scalar_to_each_row", "batch_normalization", "abstract_conv2d")],
    *[("nbgraph.tensor.nnet.bn", n) for n in (
        "batch_normalization", "batch_normalization_train", "batch_normalization_test")],
    *[("nbgraph.tensor.nnet.neighbours", n) for n in (
        "images2neibs", "neibs2images", "Images2Neibs", "Neibs2Images")],
    *[("nbgraph.tensor.nnet", n) for n in (
        "conv2d_grad_wrt_inputs", "conv2d_grad_wrt_weights", "conv2d_transpose", "conv3d",
        "separable_conv2d", "abstract_conv")],
    *[("nbgraph.tensor.nnet.abstract_conv", n) for n in (
        "conv2d", "conv2d_grad_wrt_inputs", "conv2d_grad_wrt_weights", "conv2d_transpose",
        "separable_conv2d", "conv3d", "get_conv_output_shape", "AbstractConv2d",
        "AbstractConv2d_gradInputs", "AbstractConv2d_gradWeights")],
    ("nbgraph.tensor.signal.pool", "pool_3d"), ("nbgraph.tensor.signal.conv", "conv2d"),
    *[("nbgraph.sparse", n) for n in (
        "SparseType", "SparseVariable", "csr_matrix", "csc_matrix", "CSR", "CSC", "CSM",
        "csm_properties", "csm_data", "csm_indices", "csm_indptr", "csm_shape",
        "csr_from_dense", "csc_from_dense", "dense_from_sparse", "as_sparse_variable",
        "transpose", "structured_dot", "dot", "true_dot", "sp_sum", "mul", "add", "sub",
        "sp_ones_like", "structured_sigmoid", "structured_exp", "structured_log",
        "structured_pow", "structured_add", "sqr", "sqrt", "abs_", "neg", "tanh", "TrueDot",
        "sampling_dot", "structured_minimum", "structured_maximum", "structured_add_s_v",
        "mul_s_d", "add_s_d", "sp_zeros_like", "row_scale", "col_scale", "cast", "fcast",
        "dcast", "csr_dmatrix", "csc_fmatrix", "as_sparse", "sparse_formats", "eq", "neq",
        "lt", "gt", "le", "ge", "equal_s_s", "less_than_s_d", "hstack", "vstack", "shared",
        "SparseSharedVariable", "remove0", "ensure_sorted_indices", "clean", "diag",
        "square_diagonal", "Remove0", "EnsureSortedIndices", "Diag", "SquareDiagonal",
        "add_s_s", "mul_s_s", "mul_s_v", "AddSS", "MulSS", "get_item_2d", "get_item_list",
        "GetItem2d", "GetItemList", "verify_grad_sparse", "get_item_scalar", "GetItemScalar",
        "constant")],
    ("nbgraph", "sparse"),
    ("nbgraph.tensor.nnet.conv", "conv2d"),
    ("nbgraph.tensor.shared_randomstreams", "RandomStreams"),
    ("nbgraph.sandbox.rng_mrg", "MRG_RandomStreams"),
    *[("nbgraph.gradient", n) for n in (
        "grad", "jacobian", "hessian", "Rop", "Lop", "verify_grad", "disconnected_grad",
        "zero_grad", "grad_clip", "grad_scale", "grad_undefined", "numeric_grad",
        "DisconnectedInputError", "consider_constant", "undefined_grad", "grad_not_implemented",
        "DisconnectedType", "subgraph_grad", "format_as", "ConsiderConstant", "ZeroGrad",
        "DisconnectedGrad", "disconnected_type")],
    *[("nbgraph.printing", n) for n in ("debugprint", "pp", "pydotprint")],
    ("nbgraph.ifelse", "ifelse"),
    *[("nbgraph.compile.mode", n) for n in ("Mode", "get_mode")],
    ("nbgraph.compile.nanguardmode", "NanGuardMode"),
    *[("nbgraph.compile.function_module", n) for n in (
        "function", "Function", "In", "Out", "UnusedInputError", "MissingInputError")],
    *[("nbgraph.misc.pkl_utils", n) for n in ("dump", "load")],
    # issue 14
    *[("nbgraph", n) for n in ("Op", "OpFromGraph", "clone", "map", "reduce", "foldl", "foldr",
                               "scalar", "gof", "compile")],
    *[("nbgraph.scalar", n) for n in ("upcast", "as_scalar", "constant", "Scalar", "float64",
                                      "int32", "add")],
    *[("nbgraph.gof", n) for n in ("Variable", "Apply", "Constant", "Op", "graph")],
    *[("nbgraph.gof.graph", n) for n in ("inputs", "is_same_graph", "equal_computations")],
    ("nbgraph.scan_module", "until"), ("nbgraph.scan_module.scan_utils", "equal_computations"),
    *[("nbgraph.compile", n) for n in ("SharedVariable", "DebugMode", "get_default_mode",
                                       "ops", "builders")],
    ("nbgraph.compile.mode", "get_default_mode"), ("nbgraph.compile.ops", "as_op"),
    *[("nbgraph.tensor.xlogx", n) for n in ("xlogx", "xlogy0")],
    ("nbgraph.tensor", "Variable"), ("nbgraph.tensor", "xlogx"), ("nbgraph.tensor", "blas"),
    *[("nbgraph.tensor.blas", n) for n in ("Gemv", "Gemm")],
    ("nbgraph.gpuarray", "pygpu_activated"), ("nbgraph.gpuarray.dnn", "dnn_available"),
]

# the same object under two Theano paths (not nnet.conv2d: Theano's nnet.conv.conv2d is the
# older function with image_shape=, a different signature)
SAME_OBJECT = [
    ("nbgraph", "function", "nbgraph.compile.function_module", "function"),
    ("nbgraph", "In", "nbgraph.compile.function_module", "In"),
    ("nbgraph", "Out", "nbgraph.compile.function_module", "Out"),
    ("nbgraph", "Function", "nbgraph.compile.function_module", "Function"),
    ("nbgraph", "grad", "nbgraph.gradient", "grad"),
    ("nbgraph", "grad", "nbgraph.tensor", "grad"),
    ("nbgraph", "pp", "nbgraph.printing", "pp"),
    ("nbgraph", "Mode", "nbgraph.compile.mode", "Mode"),
    ("nbgraph", "gradient", "nbgraph.gradient", None),
    ("nbgraph", "printing", "nbgraph.printing", None),
    ("nbgraph.tensor", "nnet", "nbgraph.tensor.nnet", None),
    ("nbgraph.tensor", "shared_randomstreams", "nbgraph.tensor.shared_randomstreams", None),
    ("nbgraph.tensor", "extra_ops", "nbgraph.tensor.extra_ops", None),
    ("nbgraph.tensor", "signal", "nbgraph.tensor.signal", None),
    ("nbgraph.tensor", "cumsum", "nbgraph.tensor.extra_ops", "cumsum"),
    ("nbgraph.tensor", "as_tensor_variable", "nbgraph.tensor.basic", "as_tensor_variable"),
    ("nbgraph.tensor", "dot", "nbgraph.tensor.basic", "dot"),
    ("nbgraph.tensor", "dmatrix", "nbgraph.tensor.basic", "dmatrix"),
    ("nbgraph", "OpFromGraph", "nbgraph.compile.builders", "OpFromGraph"),
    ("nbgraph", "Op", "nbgraph.gof", "Op"),
    ("nbgraph", "Variable", "nbgraph.tensor", "Variable"),
    ("nbgraph.gof.graph", "equal_computations", "nbgraph.scan_module.scan_utils",
     "equal_computations"),
]

KINDS = {"scalar": (), "vector": (False,), "matrix": (False, False), "row": (True, False),
         "col": (False, True), "tensor3": (False,) * 3, "tensor4": (False,) * 4}
PREFIXES = {"b": "int8", "w": "int16", "i": "int32", "l": "int64", "f": "float32",
            "d": "float64", "c": "complex64", "z": "complex128"}


def _resolve(module: str, name: str | None = None):
    """``module`` may be reached through attributes (``nbgraph.tensor.nlinalg``)."""
    try:
        obj = importlib.import_module(module)
    except ImportError:
        head, _, tail = module.rpartition(".")
        obj = getattr(importlib.import_module(head), tail)
    return obj if name is None else getattr(obj, name)


@pytest.mark.parametrize("path", MODULE_PATHS)
def test_module_path_imports(path):
    importlib.import_module(path)


@pytest.mark.parametrize("module, name", NAMES, ids=[f"{m}.{n}" for m, n in NAMES])
def test_name_exists(module, name):
    obj = _resolve(module, name)
    assert obj is not None


@pytest.mark.parametrize("mod_a, name_a, mod_b, name_b", SAME_OBJECT,
                         ids=[f"{a}.{b}" for a, b, _, _ in SAME_OBJECT])
def test_paths_give_the_same_object(mod_a, name_a, mod_b, name_b):
    assert _resolve(mod_a, name_a) is _resolve(mod_b, name_b)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("prefix", ["", *PREFIXES])
def test_constructor_dtype_prefixes_and_plurals(kind, prefix):
    import nbgraph.tensor as T
    single = getattr(T, prefix + kind)
    plural = getattr(T, prefix + ("matrices" if kind == "matrix" else kind + "s"))
    want = PREFIXES.get(prefix) or _floatx()
    var = single("v")
    assert (var.name, var.dtype, tuple(var.broadcastable)) == ("v", want, KINDS[kind])
    pair = plural("a", "b")
    assert [v.name for v in pair] == ["a", "b"]
    assert all(v.dtype == want and v.ndim == len(KINDS[kind]) for v in pair)


def _floatx() -> str:
    import nbgraph
    return nbgraph.config.floatX


def test_tensor_type_and_tensor_constructor():
    import nbgraph.tensor as T
    row_type = T.TensorType("float32", (True, False))
    assert row_type("r").broadcastable == (True, False)
    by_pattern = T.tensor(dtype="int64", broadcastable=(False, True))
    assert (by_pattern.dtype, by_pattern.broadcastable) == ("int64", (False, True))
    by_shape = T.tensor(dtype="float64", shape=(None, 1))
    assert (by_shape.ndim, by_shape.broadcastable) == (2, (False, True))


def test_config_fields_and_default_floatx():
    import nbgraph
    for field in ("floatX", "mode", "device", "compiledir"):
        assert hasattr(nbgraph.config, field)
    assert type(nbgraph.config)().floatX == "float64"


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE", "DebugMode", "NanGuardMode"])
def test_modes_by_name(mode):
    import nbgraph
    import nbgraph.tensor as T
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x) + 1, mode=mode)
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), np.exp([0.0, 1.0]) + 1, rtol=1e-12)


def test_mode_constructor_and_including_excluding():
    import nbgraph
    mode = nbgraph.Mode(linker="py", optimizer="fast_run")
    assert isinstance(mode.including("canonicalize"), nbgraph.Mode)
    assert isinstance(mode.excluding("canonicalize"), nbgraph.Mode)


def test_function_attributes():
    import nbgraph
    import nbgraph.tensor as T
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x).sum(), profile=True)
    f(np.ones(2))
    for attr in ("trace", "profile", "source", "copy"):
        assert hasattr(f, attr), attr
    assert f.maker.fgraph.outputs


def test_variable_operators_and_methods():
    import nbgraph.tensor as T
    x, y = T.dmatrices("x", "y")
    i, j = T.lvectors("i", "j")
    for expr in (x + y, x - y, x * y, x / y, x // y, x % y, x ** y, x @ y, -x, abs(x),
                 x < y, x <= y, x > y, x >= y, i & j, i | j, ~i, i ^ j, x.T, x[0], x[:, 1:],
                 x.sum(), x.mean(), x.max(), x.dot(y), x.reshape((4,)), x.flatten(),
                 x.dimshuffle(1, 0), x.astype("float32")):
        assert isinstance(expr, T.TensorVariable)
    assert (x.ndim, x.dtype, x.name) == (2, "float64", "x")
    assert x.type == T.dmatrix().type
    assert x.shape.ndim == 1


def test_indexing_forms_evaluate_like_numpy():
    import nbgraph.tensor as T
    x = T.dmatrix("x")
    value = np.arange(12.0).reshape(3, 4)
    cases = [(x[1:, ::2], value[1:, ::2]),
             (x[np.array([2, 0])], value[[2, 0]]),
             (x[x > 5.0], value[value > 5.0]),
             (T.set_subtensor(x[0], 0.0), np.vstack([np.zeros(4), value[1:]])),
             (T.inc_subtensor(x[:, 0], 1.0), value + _first_col())]
    for expr, expected in cases:
        np.testing.assert_array_equal(expr.eval({x: value}), expected)


def _first_col() -> np.ndarray:
    out = np.zeros((3, 4))
    out[:, 0] = 1.0
    return out
