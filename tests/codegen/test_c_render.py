"""Generated C: golden text for tiny graphs, float32 math, literals, helper semantics."""

from __future__ import annotations

import textwrap

import nbgraph.tensor as T
from nbgraph.codegen.c_render import CStyleRenderer, c_literal, float32_math
from nbgraph.codegen.kernel import lower_elemwise, lower_reduce

R = CStyleRenderer()


def test_golden_exp_kernel_body():
    x = T.dvector("x")
    node = T.exp(x).owner
    text = R.render_elemwise(lower_elemwise(node, "k0")).split("\n\n")[0]
    u = node.uid
    assert text == textwrap.dedent(f"""\
        /* Elemwise{{exp,no_inplace}} uid {u}: contiguous operands */
        static void k0_range(int64_t lo, int64_t hi, char **p)
        {{
            const double *p_i0 = (const double *)p[0];
            double *p_o0 = (double *)p[1];
            #pragma omp simd
            for (int64_t i = lo + 0; i < hi; i += 1) {{
                const double i0 = p_i0[i];
                double t{u} = exp(i0);  /* Elemwise{{exp}} uid {u} */
                p_o0[i] = t{u};
            }}
        }}
        void k0_contig(int64_t n, char **p) {{ nbg_run(k0_range, n, p, 9); }}""")


def test_golden_float32_scalar_broadcast():
    x = T.fvector("x")
    node = (x / 2).owner
    text = R.render_elemwise(lower_elemwise(node, "k1"))
    assert "const float i1 = *(const float *)p[1];  /* broadcast */" in text
    assert f"float t{node.uid} = (i0 / i1);  /* Elemwise{{true_div}} uid {node.uid} */" in text


def test_golden_sum_reduction_update():
    x = T.fmatrix("x")
    node = T.sum(x, axis=1).owner
    text = R.render_reduce(lower_reduce(node, "k2"))
    assert "double acc = 0;" in text                  # float32 sums accumulate in double
    assert "#pragma omp simd reduction(+:acc)" in text
    assert "acc += (double)i0;" in text
    assert "out[o] = (float)acc;" in text


def test_float32_uses_float_math_and_literals():
    assert float32_math("exp((1.0 / t3))") == "expf((1.0f / t3))"
    assert float32_math("nbg_sigmoid(t2)") == "nbg_sigmoid(t2)"
    x = T.fvector("x")
    text = R.render_elemwise(lower_elemwise(T.tanh(T.sin(x)).owner.inputs[0].owner, "k0"))
    assert "sinf(i0)" in text and "sin(i0)" not in text


def test_literals():
    assert c_literal(0.5, "float32") == "0.5f"
    assert c_literal(float("inf"), "float64") == "INFINITY"
    assert c_literal(float("nan"), "float64") == "NAN"
    assert c_literal(3, "int64") == "3LL"
    assert c_literal(True, "bool") == "1"


def test_module_has_helpers_simd_declarations_and_table():
    x = T.dvector("x")
    k = lower_elemwise(T.sigmoid(x).owner if hasattr(T, "sigmoid") else T.exp(x).owner, "k0")
    text = R.render_module([k])
    for needle in ("nbg_sigmoid", "nbg_softplus", "nbg_floordiv", "nbg_mod", "nbg_max",
                   "nbg_min", "nbg_abs", "nbg_sgn", "nbg_clip", "nbg_invert",
                   "#pragma omp declare simd notinbranch", "void *nbg_lookup(int k, int which)"):
        assert needle in text


class Subclass(CStyleRenderer):
    kernel_prefix = 'extern "C" __global__ void'
    index_t = "long long"
    first_index = "blockIdx.x * (long long)blockDim.x + threadIdx.x"
    stride = "(long long)blockDim.x * gridDim.x"


def test_a_subclass_changes_language_with_attributes_only():
    x = T.dvector("x")
    text = Subclass().render_elemwise(lower_elemwise(T.exp(x).owner, "k0"))
    assert "for (long long i = lo + blockIdx.x * (long long)blockDim.x + threadIdx.x; i < hi;" \
        in text
    assert 'extern "C" __global__ void k0_contig' in text
