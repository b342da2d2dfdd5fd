"""The helper prelude: one text, spelled for C99 and for CUDA, and the same numbers from both
(the CUDA spelling is compiled as C++ on the host) as NumPy's."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nbgraph.codegen.cuda_render import CUDA_TYPES
from nbgraph.codegen.literals import c_literal
from nbgraph.codegen.prelude import C99, CUDA, DISPATCHED, helpers

NAN = float("nan")
CASES = [  # (helper, dtype, NumPy reference, argument tuples)
    ("nbg_floordiv", "int64", np.floor_divide, [(7, 2), (-7, 2), (7, -2), (-7, -2), (5, 0)]),
    ("nbg_mod", "int64", np.mod, [(7, 2), (-7, 2), (7, -2), (-7, -2), (5, 0)]),
    ("nbg_floordiv", "float64", np.floor_divide, [(7.5, 2), (-7.5, 2), (7.5, -2), (1, 0)]),
    ("nbg_mod", "float64", np.mod, [(7.5, 2), (-7.5, 2), (7.5, -2), (-0.0, 5)]),
    ("nbg_max", "float32", np.maximum, [(1, 2), (NAN, 1), (1, NAN)]),
    ("nbg_min", "int32", np.minimum, [(3, -4), (-4, 3)]),
    ("nbg_max", "uint64", np.maximum, [(2**63 + 5, 1), (0, 2**64 - 1)]),
    ("nbg_abs", "int8", np.abs, [(-5,), (7,)]),
    ("nbg_sgn", "float64", np.sign, [(-2.5,), (0.0,), (3.0,)]),
    ("nbg_clip", "float64", np.clip, [(5, -1, 1.5), (-3, -1, 1.5), (0.5, -1, 1.5)]),
    ("nbg_sigmoid", "float64", lambda x: 1 / (1 + np.exp(-x)), [(0.5,), (-40.0,)]),
    ("nbg_softplus", "float32", lambda x: np.logaddexp(np.float32(0), x), [(3,), (-20,)]),
]


def test_c99_and_cuda_spell_the_same_helpers() -> None:
    c, cuda = helpers(C99), helpers(CUDA)
    assert "_Generic" in c and "static inline" in c
    assert not re.search(r"\b(u?int\d+_t|_Generic|static inline)\b", cuda)  # NVRTC: no libc
    for name, args in DISPATCHED:
        assert f"#define nbg_{name}({args}) NBG_PICK(" in c
        assert f"NBG_PICK(nbg_{name}, " in cuda
    # the semantics are one text: the float family is the same macro in both
    body = c[c.index("#define NBG_FLOAT_HELPERS"):c.index("NBG_FLOAT_HELPERS(double")]
    assert body.replace("static inline", "NBG_D") in cuda


def _program(dialect_text: str, cpp: bool) -> str:
    head = ["#include <math.h>", "#include <stdio.h>", "#include <stdint.h>"]
    if cpp:
        head += ["#define __device__", "#define __forceinline__ inline"]
    calls = []
    for helper, dtype, _, tuples in CASES:
        for args in tuples:
            cast = ", ".join(f"({CUDA_TYPES[dtype]}){c_literal(a, dtype)}" for a in args)
            calls.append(f'    printf("%.17g\\n", (double){helper}({cast}));')
    return "\n".join([*head, dialect_text, "int main(void)", "{", *calls, "    return 0;", "}"])


@pytest.mark.parametrize("dialect, compiler, flags", [
    (C99, "gcc", ["-x", "c", "-std=gnu11"]), (CUDA, "g++", ["-x", "c++", "-std=c++11"])],
    ids=["c99", "cuda-as-c++"])
def test_helpers_match_numpy(dialect, compiler: str, flags: list[str],  # noqa: ANN001
                             tmp_path: Path) -> None:
    exe = shutil.which(compiler)
    if exe is None:
        pytest.skip(f"{compiler} not found")
    source = tmp_path / "helpers.txt"
    source.write_text(_program(helpers(dialect), cpp=dialect is CUDA))
    binary = tmp_path / "helpers"
    subprocess.run([exe, *flags, "-Wall", "-Werror", "-Wno-unused-function", str(source),
                    "-o", str(binary), "-lm"], check=True, capture_output=True)
    got = [float(line) for line in subprocess.run([str(binary)], check=True, capture_output=True,
                                                   text=True).stdout.split()]
    want = []
    with np.errstate(all="ignore"):
        for _, dtype, ref, tuples in CASES:
            for args in tuples:
                want.append(float(ref(*[np.array(a).astype(dtype) for a in args])))
    np.testing.assert_allclose(got, want, rtol=1e-6)
