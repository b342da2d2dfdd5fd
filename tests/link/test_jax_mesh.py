"""Data-parallel training on a device mesh: four XLA host devices (the flag must be set
before JAX is imported, so the check runs in a subprocess). An MLP trained with its batch
split over the mesh follows the C linker's loss curve, and the gradients' mean over the
batch is an all-reduce in the compiled program."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("jax")

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import json
    import jax
    import numpy as np
    import nbgraph
    import nbgraph.tensor as T
    from nbgraph.compile.mode import Mode
    from nbgraph.link.jax_linker import JaxLinker, jax_call_of

    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((64, 5)), rng.integers(0, 3, 64)

    def train_step(mode):
        init = np.random.default_rng(1)
        w1 = nbgraph.shared(init.standard_normal((5, 16)) * 0.3, name="w1")
        b1 = nbgraph.shared(np.zeros(16), name="b1")
        w2 = nbgraph.shared(init.standard_normal((16, 3)) * 0.3, name="w2")
        b2 = nbgraph.shared(np.zeros(3), name="b2")
        x, y = T.dmatrix("x"), T.lvector("y")
        p = T.nnet.softmax(T.dot(T.tanh(T.dot(x, w1) + b1), w2) + b2)
        loss = T.nnet.categorical_crossentropy(p, y).mean()
        params = [w1, b1, w2, b2]
        grads = nbgraph.grad(loss, params)
        updates = [(q, q - 0.5 * g) for q, g in zip(params, grads)]
        return nbgraph.function([x, y], loss, updates=updates, mode=mode), params

    mesh = jax.make_mesh((4,), ("batch",))
    sharded = Mode(linker=JaxLinker(mesh=mesh, shard_inputs={"x": 0, "y": 0}))
    c_step, c_params = train_step("FAST_RUN")
    j_step, j_params = train_step(sharded)
    call = jax_call_of(j_step)
    print(json.dumps({
        "devices": len(jax.devices()),
        "c": [float(c_step(X, Y)) for _ in range(12)],
        "jax": [float(j_step(X, Y)) for _ in range(12)],
        "params_close": all(np.allclose(a.get_value(), b.get_value(), rtol=1e-10, atol=0)
                            for a, b in zip(c_params, j_params)),
        "x_shard": list(call.placements[0].shard_shape((64, 5))),
        "w1_shard": list(call.placements[2].shard_shape((5, 16))),
        "all_reduces": call.compiled_text().count("all-reduce("),
    }))
""")


def run_on_four_devices(script: str) -> dict:
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_mlp_on_four_devices_follows_the_c_loss_curve():
    found = run_on_four_devices(SCRIPT)
    assert found["devices"] == 4
    assert found["x_shard"] == [16, 5]       # the batch split four ways
    assert found["w1_shard"] == [5, 16]      # parameters replicated
    assert found["all_reduces"] >= 1         # the gradient mean crosses devices
    assert found["jax"][-1] < found["jax"][0]
    for c, j in zip(found["c"], found["jax"], strict=True):
        assert j == pytest.approx(c, rel=1e-12)
    assert found["params_close"]
