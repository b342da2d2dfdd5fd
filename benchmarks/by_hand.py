"""The models of ``bench_models.py`` written by hand in NumPy: forward pass, gradients and the
SGD step, over the same weights (float32), the baseline a compiler should at least match.

Each ``*_grads`` returns ``(loss, {name: gradient})`` and leaves the parameters alone; each
``*_step`` applies ``p -= lr * g`` in place. ``bench_models`` checks losses and gradients
against nbgraph's before it times anything.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Params = dict[str, np.ndarray]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def sgd(p: Params, grads: Params, lr: float) -> None:
    for k, g in grads.items():
        p[k] -= lr * g


# -- LSTM: the gates' pre-activations for every step of X in one product, BPTT --------------------
def lstm_grads(p: Params, X: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
    """Loss ``mean((h_T V - y)**2)`` of the scan in ``LSTM_THEANO`` and its gradients."""
    seq, batch, _ = X.shape
    n = p["U"].shape[0]
    xw = (X.reshape(seq * batch, -1) @ p["W"] + p["b"]).reshape(seq, batch, 4 * n)
    h = np.zeros((seq + 1, batch, n), X.dtype)   # h[t] is the state before step t
    c = np.zeros((seq + 1, batch, n), X.dtype)
    gates = np.empty((seq, batch, 4 * n), X.dtype)  # i, f, o after sigmoid, g after tanh
    for t in range(seq):
        pre = xw[t] + h[t] @ p["U"]
        gates[t, :, :3 * n] = sigmoid(pre[:, :3 * n])
        gates[t, :, 3 * n:] = np.tanh(pre[:, 3 * n:])
        i, f, o, g = (gates[t, :, k * n:(k + 1) * n] for k in range(4))
        c[t + 1] = f * c[t] + i * g
        h[t + 1] = o * np.tanh(c[t + 1])
    err = h[seq] @ p["V"] - y
    loss = float(np.mean(err ** 2))
    dout = 2 * err / err.size
    dpre = np.empty_like(gates)
    dh, dc = dout @ p["V"].T, np.zeros((batch, n), X.dtype)
    for t in reversed(range(seq)):
        i, f, o, g = (gates[t, :, k * n:(k + 1) * n] for k in range(4))
        tc = np.tanh(c[t + 1])
        dc = dc + dh * o * (1 - tc * tc)
        dpre[t, :, :n] = dc * g * i * (1 - i)
        dpre[t, :, n:2 * n] = dc * c[t] * f * (1 - f)
        dpre[t, :, 2 * n:3 * n] = dh * tc * o * (1 - o)
        dpre[t, :, 3 * n:] = dc * i * (1 - g * g)
        dh, dc = dpre[t] @ p["U"].T, dc * f
    flat = dpre.reshape(seq * batch, 4 * n)
    return loss, {"W": X.reshape(seq * batch, -1).T @ flat,
                  "U": h[:seq].reshape(seq * batch, n).T @ flat,
                  "b": flat.sum(0), "V": h[seq].T @ dout}


def lstm_step(p: Params, X: np.ndarray, y: np.ndarray, lr: float) -> float:
    loss, grads = lstm_grads(p, X, y)
    sgd(p, grads, lr)
    return loss


# -- LeNet: convolutions as products over sliding windows ----------------------------------------
def _conv(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Theano's ``conv2d(x, w)`` (valid, filters flipped): (b, c, h, w) * (k, c, i, j)."""
    win = sliding_window_view(x, w.shape[2:], axis=(2, 3))     # (b, c, h', w', i, j)
    out = np.tensordot(win, w[:, :, ::-1, ::-1], axes=([1, 4, 5], [1, 2, 3]))
    return out.transpose(0, 3, 1, 2)


def _conv_grads(x: np.ndarray, w: np.ndarray, dout: np.ndarray, need_dx: bool
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """(dw, dx) of ``_conv``: dw correlates x with dout; dx is the windows' gradient (one
    product with the filters) added back window offset by window offset (col2im)."""
    i, j = w.shape[2:]
    win = sliding_window_view(x, (i, j), axis=(2, 3))
    dw = np.tensordot(dout, win, axes=([0, 2, 3], [0, 2, 3]))[:, :, ::-1, ::-1]
    if not need_dx:
        return dw, None
    dcols = np.tensordot(dout, w[:, :, ::-1, ::-1], axes=([1], [0]))  # (b, h', w', c, i, j)
    dx = np.zeros_like(x)
    h, v = dout.shape[2:]
    for a in range(i):
        for b in range(j):
            dx[:, :, a:a + h, b:b + v] += dcols[:, :, :, :, a, b].transpose(0, 3, 1, 2)
    return dw, dx


def _windows(x: np.ndarray) -> np.ndarray:
    b, c, h, w = x.shape
    return x.reshape(b, c, h // 2, 2, w // 2, 2)  # a view: 2x2 pooling windows on axes 3, 5


def _pool(x: np.ndarray) -> np.ndarray:
    return _windows(x).max(axis=(3, 5))


def _unpool(x: np.ndarray, pooled: np.ndarray, dpooled: np.ndarray) -> np.ndarray:
    """Max-pool's gradient as Theano's: every input equal to its window's max gets it."""
    hit = _windows(x) == pooled[:, :, :, None, :, None]
    return (hit * dpooled[:, :, :, None, :, None]).reshape(x.shape)


def lenet_grads(p: Params, X: np.ndarray, Y: np.ndarray) -> tuple[float, Params]:
    """Loss and gradients of ``LENET_THEANO``: 2 x (conv, pool, tanh), softmax."""
    a1 = _conv(X, p["W1"])
    m1 = _pool(a1)
    h1 = np.tanh(m1)
    a2 = _conv(h1, p["W2"])
    m2 = _pool(a2)
    h2 = np.tanh(m2)
    flat = h2.reshape(len(X), -1)
    z = flat @ p["W3"] + p["b3"]
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = float(-np.mean(np.sum(Y * logp, axis=1)))
    dz = (np.exp(logp) * Y.sum(axis=1, keepdims=True) - Y) / len(X)
    dflat = dz @ p["W3"].T
    da2 = _unpool(a2, m2, dflat.reshape(h2.shape) * (1 - h2 * h2))
    dW2, dh1 = _conv_grads(h1, p["W2"], da2, True)
    assert dh1 is not None
    da1 = _unpool(a1, m1, dh1 * (1 - h1 * h1))
    dW1, _ = _conv_grads(X, p["W1"], da1, False)
    return loss, {"W1": dW1, "W2": dW2, "W3": flat.T @ dz, "b3": dz.sum(0)}


def lenet_step(p: Params, X: np.ndarray, Y: np.ndarray, lr: float) -> float:
    loss, grads = lenet_grads(p, X, Y)
    sgd(p, grads, lr)
    return loss


# -- RBM: CD-1 -----------------------------------------------------------------------------------
def rbm_step(p: Params, v: np.ndarray, rng: np.random.Generator | None, lr: float
             ) -> np.ndarray:
    """CD-1 by hand (``rng`` None: mean-field, no sampling, for the checks); updates ``p``."""
    ph = sigmoid(v @ p["W"] + p["hb"])
    h = ph if rng is None else (rng.random(ph.shape, dtype=np.float32) < ph).astype("float32")
    pv = sigmoid(h @ p["W"].T + p["vb"])
    v1 = pv if rng is None else (rng.random(pv.shape, dtype=np.float32) < pv).astype("float32")
    ph1 = sigmoid(v1 @ p["W"] + p["hb"])
    scale = lr / len(v)
    p["W"] += scale * (v.T @ ph - v1.T @ ph1)
    p["hb"] += scale * (ph - ph1).sum(0)
    p["vb"] += scale * (v - v1).sum(0)
    return v1
