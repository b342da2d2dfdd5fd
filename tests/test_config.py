"""``nbgraph.config`` from NBGRAPH_FLAGS: a relative compiledir is resolved once, a comma can
be escaped, and an unknown setting is an error naming it and the known ones (issue 13)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nbgraph.config import Config, NbgraphWarning, config, known_settings, split_flags


def _import_with(flags: str, cwd: str, code: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "NBGRAPH_FLAGS": flags, "PYTHONPATH": os.getcwd()}
    env.pop("THEANO_FLAGS", None)
    script = f"from nbgraph.config import config\n{code}"
    return subprocess.run([sys.executable, "-c", script], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_split_flags_keeps_escaped_commas():
    assert split_flags(r"floatX=float32,compiledir=/tmp/a\,b,,device=cpu") == \
        ["floatX=float32", "compiledir=/tmp/a,b", "device=cpu"]


def test_a_comma_in_compiledir_from_the_environment(tmp_path):
    target = tmp_path / "with,comma"
    done = _import_with(r"compiledir=" + str(target).replace(",", r"\,"), str(tmp_path),
                        "print(config.compiledir)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(target)


def test_unknown_setting_is_an_error_listing_the_known_ones(tmp_path):
    done = _import_with("floatx=float32", str(tmp_path))
    assert done.returncode != 0
    assert "unknown setting 'floatx'" in done.stderr and "floatX" in done.stderr
    with pytest.raises(ValueError, match="unknown setting 'nope'.*compiledir"):
        Config().update_from_flags("nope=1")


def test_relative_compiledir_is_resolved_once(tmp_path):
    (tmp_path / "a").mkdir()
    code = ("import os\nbefore = config.compiledir\nos.chdir('a')\n"
            "print(before == config.compiledir, config.compiledir)")
    done = _import_with("compiledir=cache", str(tmp_path), code)
    assert done.returncode == 0, done.stderr
    same, path = done.stdout.split()
    assert same == "True" and path == str(tmp_path / "cache")


def test_assigned_relative_compiledir_is_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config, "compiledir", config.compiledir)  # restored afterwards
    config.compiledir = "rel"
    assert config.compiledir == str(tmp_path / "rel")


def test_numeric_settings_parse_and_bad_values_name_the_setting():
    settings = Config()
    settings.update_from_flags("lock_timeout=2.5,openmp_threads=3")
    assert settings.lock_timeout == 2.5 and settings.openmp_threads == 3
    with pytest.raises(ValueError, match="lock_timeout='soon'"):
        settings.update_from_flags("lock_timeout=soon")


def test_unknown_attribute_lists_the_settings():
    with pytest.raises(AttributeError, match="compiledir"):
        config.no_such_setting = 1  # type: ignore[attr-defined]
    assert "warn.*" in known_settings()


def test_allow_gc_settings_exist_with_theanos_spellings():
    """Theano's ``allow_gc``/``scan.allow_gc``: False (nbgraph keeps buffers between calls,
    Theano's speed setting) is silent; True is accepted but warns that nothing is freed."""
    settings = Config()
    assert settings.allow_gc is False and settings.scan.allow_gc is False
    settings.update_from_flags("allow_gc=False,scan.allow_gc=0")
    settings.allow_gc = False
    assert settings.allow_gc is False and settings.scan.allow_gc is False
    with pytest.warns(NbgraphWarning, match="allow_gc=True is accepted but frees nothing"):
        settings.allow_gc = True
    with pytest.warns(NbgraphWarning, match="scan.allow_gc=True"):
        settings.update_from_flags("scan.allow_gc=True")
    assert settings.allow_gc is True and settings.scan.allow_gc is True
    with pytest.raises(ValueError, match="NBGRAPH_FLAGS: allow_gc='maybe'"):
        settings.update_from_flags("allow_gc=maybe")
    with pytest.raises(ValueError, match="unknown setting 'scan.nope'"):
        settings.update_from_flags("scan.nope=1")
    with pytest.raises(AttributeError, match="scan.allow_gc"):
        settings.scan.nope = 1  # type: ignore[attr-defined]
    assert {"allow_gc", "scan.allow_gc"} <= set(known_settings())


def test_allow_gc_false_from_theano_flags_and_a_compiled_function(tmp_path):
    """The speed idiom ``THEANO_FLAGS=allow_gc=False`` and ``theano.config.allow_gc = False``
    in a script: both run, and the function computes as before."""
    env = {**os.environ, "THEANO_FLAGS": "allow_gc=False,scan.allow_gc=False",
           "PYTHONPATH": os.getcwd()}
    code = ("import warnings\nwarnings.simplefilter('error')\n"
            "import numpy as np\nimport nbgraph as theano\nimport nbgraph.tensor as T\n"
            "theano.config.allow_gc = False\nx = T.dvector('x')\n"
            "f = theano.function([x], T.exp(x) * 2)\n"
            "print(theano.config.allow_gc, theano.config.scan.allow_gc, "
            "np.allclose(f(np.arange(3.0)), np.exp(np.arange(3.0)) * 2))")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "True"]
