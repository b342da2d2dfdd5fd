"""Theano's ``Mode.call_time`` / ``fn_time``: the seconds spent in the calls of a mode's
profiled functions (and of those in the VM); unprofiled functions read no clock."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode, get_default_mode
from nbgraph.config import NbgraphWarning, config


def _function(mode, **kwargs):
    x = T.dvector("x")
    return nbgraph.function([x], T.exp(x) * 2, mode=mode, **kwargs)


@pytest.mark.parametrize("linker", ["py", "c"])
def test_profiled_calls_add_to_their_mode_and_profile(linker):
    mode = Mode(linker, "fast_run")
    fn = _function(mode, profile=True)
    value = np.arange(3.0)
    np.testing.assert_allclose(fn(value), np.exp(value) * 2, rtol=1e-15)
    after_one = mode.call_time
    assert 0 < mode.fn_time <= after_one
    np.testing.assert_allclose(fn(x=value), np.exp(value) * 2, rtol=1e-15)   # by name too
    fn.trust_input = True
    fn(value)
    assert fn.profile.calls == 3 and mode.call_time > after_one
    assert mode.call_time == fn.profile.call_time and mode.fn_time == fn.profile.fn_time
    assert fn.profile.fn_time <= fn.profile.call_time
    assert "Time in Function.__call__: " in fn.profile.summary()


def test_unprofiled_calls_read_no_clock_and_reading_says_so():
    mode = Mode("py", "fast_run")
    fn = _function(mode)
    assert fn._checked.__name__ == "checked" and fn._run == fn.vm.run   # the plain path
    fn(np.ones(2))
    with pytest.warns(NbgraphWarning, match="profiled functions only"):
        assert mode.call_time == 0.0
    mode.call_time = 0.0   # Theano code resets it; assigning is silent
    profiled = _function(mode, profile=True)
    profiled(np.ones(2))
    assert mode.call_time > 0 and fn._checked.__name__ == "checked"


def test_config_profile_profiles_every_function(monkeypatch):
    monkeypatch.setattr(config, "profile", True)
    mode = Mode("py", "fast_run")
    fn = _function(mode)
    assert fn.profile is not None
    fn(np.ones(2))
    assert fn.profile.calls == 1 and mode.call_time > 0 and mode.fn_time > 0
    assert _function(mode, profile=False).profile is None
    settings = type(config)()
    settings.update_from_flags("profile=True")
    assert settings.profile is True


def test_modes_made_from_a_mode_count_apart():
    mode = Mode("py", "fast_run")
    other = mode.excluding("fuse_elemwise")
    _function(other, profile=True)(np.ones(2))
    assert other.call_time > 0 and mode._call_time == 0.0


def test_the_default_mode_from_the_flags_is_one_mode(monkeypatch):
    """Theano's speed scripts read ``get_default_mode().call_time`` before and after: the
    default mode built from ``linker=``/``optimizer=`` flags must be the same object."""
    monkeypatch.setattr(config, "linker", "py")
    monkeypatch.setattr(config, "profile", True)
    mode = get_default_mode()
    assert mode is get_default_mode() and mode.linker == "py"
    before = mode.call_time
    _function(None)(np.ones(2))
    assert get_default_mode().call_time > before
