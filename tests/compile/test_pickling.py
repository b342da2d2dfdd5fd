"""Parameter values saved and loaded without pickle (``.npz``, ``allow_pickle=False``), and
the pickle functions' warning (issue 13, item 6)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile import pickling
from nbgraph.compile.function import Function
from nbgraph.misc import pkl_utils


def _params(rng):
    w = nbgraph.shared(rng.normal(size=(3, 2)), name="W")
    b = nbgraph.shared(np.zeros(2), name="b")
    return w, b


def test_values_round_trip_through_npz(tmp_path, rng):
    w, b = _params(rng)
    x = T.dmatrix("x")
    step = nbgraph.function([x], [], updates=[(b, b + T.dot(x, w).sum(axis=0))])
    step(np.ones((4, 3)))
    expected = w.get_value(), b.get_value()
    pkl_utils.save_values(tmp_path / "p.npz", [w, b])
    w.set_value(np.zeros((3, 2)))
    b.set_value(np.ones(2))
    pkl_utils.load_values(tmp_path / "p.npz", [w, b])
    np.testing.assert_array_equal(w.get_value(), expected[0])
    np.testing.assert_array_equal(b.get_value(), expected[1])
    with np.load(tmp_path / "p.npz", allow_pickle=False) as data:
        assert sorted(data.files) == ["W", "b"]


def test_loading_checks_every_value_before_setting_any(tmp_path, rng):
    w, b = _params(rng)
    np.savez(tmp_path / "bad.npz", W=np.ones((3, 2)), b=np.ones((2, 2)))  # b has rank 2
    before = w.get_value()
    with pytest.raises((TypeError, ValueError), match="b"):
        pkl_utils.load_values(tmp_path / "bad.npz", [w, b])
    np.testing.assert_array_equal(w.get_value(), before)


def test_a_missing_name_is_named(tmp_path, rng):
    w, b = _params(rng)
    np.savez(tmp_path / "w_only.npz", W=np.ones((3, 2)))
    with pytest.raises(KeyError, match=r"\['b'\] not in the file"):
        pkl_utils.load_values(tmp_path / "w_only.npz", [w, b])


def test_a_file_holding_a_pickle_is_refused(tmp_path, rng):
    w, _ = _params(rng)
    np.savez(tmp_path / "evil.npz", W=np.array([{"code": 1}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        pkl_utils.load_values(tmp_path / "evil.npz", [w])


def test_unnamed_or_repeated_names_cannot_be_saved(tmp_path):
    with pytest.raises(ValueError, match="no name"):
        pkl_utils.save_values(tmp_path / "x.npz", [nbgraph.shared(np.ones(2))])
    twins = [nbgraph.shared(np.ones(2), name="w"), nbgraph.shared(np.ones(2), name="w")]
    with pytest.raises(ValueError, match="repeated"):
        pkl_utils.save_values(tmp_path / "x.npz", twins)


def test_pickle_functions_warn_that_loading_runs_code():
    for doc in (pickling.load.__doc__, pickling.__doc__,
                Function.__reduce__.__doc__):
        assert doc is not None and "runs code" in doc.replace("\n", " ")
    # and that is true: a pickle names any callable to run on load
    assert pickle.loads(pickle.dumps(_Planted())) == "ran at load"


class _Planted:
    def __reduce__(self):
        return (str, ("ran at load",))
