"""Theano's optimizer names, as ``Mode.including``/``excluding`` accept them.

Code written for Theano switches rewrites by Theano's names (``excluding('fusion')``,
``including('local_log_softmax')``); each maps to nbgraph's passes or ``pass/rule`` rules.
A Theano name with no counterpart here (a GPU rewrite, an optimizer tag) is ignored
with a warning instead of stopping the program; a name that is neither nbgraph's nor Theano's
still raises in the pipeline.
"""

from __future__ import annotations

import warnings

# Theano name -> nbgraph passes or rules
THEANO_ALIASES: dict[str, tuple[str, ...]] = {
    "merge": ("merge",), "merge1": ("merge",), "merge2": ("merge",),
    "MergeOptimizer": ("merge",),
    "constant_folding": ("constant_fold",), "topo_constant_folding": ("constant_fold",),
    "canonicalize": ("canonicalize",), "stabilize": ("stabilize",),
    "specialize": ("specialize",),
    "fusion": ("fuse_elemwise",), "local_elemwise_fusion": ("fuse_elemwise",),
    "elemwise_fusion": ("fuse_elemwise",), "composite_elemwise_fusion": ("fuse_elemwise",),
    "inplace": ("inplace",), "inplace_opt": ("inplace",),
    "inplace_elemwise_optimizer": ("inplace/elemwise_inplace",),
    "insert_inplace_optimizer": ("inplace",),
    "local_inplace_gemm": ("inplace/gemm_inplace",), "gemm_inplace": ("inplace/gemm_inplace",),
    "local_log_softmax": ("stabilize/log_softmax",),
    "local_log1p": ("stabilize/log1p",),
    "local_expm1": ("stabilize/expm1",),
    "local_exp_over_1_plus_exp": ("stabilize/sigmoid",),
    "local_1msigmoid": ("stabilize/one_minus_sigmoid",),
    "local_log_sum_exp": ("stabilize/logsumexp",),
    "crossentropy_to_crossentropy_with_softmax": ("stabilize/crossentropy_softmax",),
    "crossentropy_to_crossentropy_with_softmax_with_bias": (
        "stabilize/crossentropy_softmax",),
    "local_crossentropy_to_crossentropy_with_softmax_grad": (
        "stabilize/crossentropy_softmax_grad",),
    "local_pow_specialize": ("specialize/pow_2", "specialize/pow_half",
                             "specialize/pow_neg1"),
    "gemm_optimizer": ("specialize/gemm",), "BlasOpt": ("specialize/gemm",),
    "local_gemm_to_gemv": ("specialize/gemm",),
    "local_dimshuffle_lift": ("canonicalize/dimshuffle_dimshuffle",),
    "local_useless_dimshuffle_in_reshape": ("canonicalize/useless_dimshuffle",),
    "local_useless_reshape": ("canonicalize/useless_reshape",),
    "local_sum_sum": ("canonicalize/sum_sum",),
    "local_cast_cast": ("canonicalize/cast_same",),
    "local_fill_sink": ("canonicalize/fill_useless",),
    "local_mul_zero": ("canonicalize/mul_zero",),
    "scan": ("scan_pushout",), "scanOp_pushout_seqs_ops": ("scan_pushout/push_out_seq",),
    "scanOp_pushout_nonseqs_ops": ("scan_pushout/push_out_non_seq",),
    "scanOp_pushout_output": ("scan_pushout/push_out_add",),
}

# Theano tags and rewrites that nbgraph has no counterpart for (besides any local_* name)
THEANO_WITHOUT_COUNTERPART = frozenset({
    "fast_run", "fast_compile", "gpu", "gpuarray", "cudnn", "dnn", "conv_dnn", "cuda",
    "scan_eqopt1", "scan_eqopt2", "ShapeOpt", "uncanonicalize",
    "specialize_device", "local_remove_all_assert", "shape_unsafe", "useless",
    "gpu_opt", "gpu_after_fusion", "cxx_only", "add_destroy_handler", "random_make_inplace",
    "mrg_random_make_inplace", "BlasOpt_cpu", "blas_opt_inplace", "conv_meta", "conv_gemm",
    "AbstractConvCheck", "local_abstractconv_check", "cpu_abstractconv", "numba", "jax",
})


def translate(names: tuple[str, ...], known: set[str]) -> tuple[str, ...]:
    """``names`` in nbgraph's terms: names the pipeline ``known``s pass through, Theano's
    aliases expand, Theano names without a counterpart are dropped with a warning."""
    out: list[str] = []
    for name in names:
        if name in known:
            out.append(name)
        elif name in THEANO_ALIASES:
            out.extend(THEANO_ALIASES[name])
        elif name in THEANO_WITHOUT_COUNTERPART or name.startswith("local_"):
            warnings.warn(f"Theano optimizer name {name!r} has no counterpart in nbgraph; "
                          f"ignored (passes and rules: Mode().optimizer, nbgraph.rewrite."
                          f"pipeline.PIPELINE)", UserWarning, stacklevel=4)
        else:
            out.append(name)  # the pipeline names what is wrong with it
    return tuple(out)
