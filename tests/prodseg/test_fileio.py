"""Atomic writes: the mode a plain open() gives under the process's umask, and outputs swapped in together."""

import os

import pandas as pd
import pytest

from prodseg.fileio import all_or_nothing, atomic_write_bytes, atomic_write_json, atomic_write_parquet


@pytest.fixture
def umask():
    """Sets the process's umask for the test (returns the setter), restored after."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_mode_of_a_plain_open_under_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    written = [atomic_write_bytes(tmp_path / "a.bin", b"x"), atomic_write_json(tmp_path / "b.json", {"k": 1}),
               atomic_write_parquet(tmp_path / "c.parquet", pd.DataFrame({"k": [1]}))]
    with open(tmp_path / "plain", "w"):
        pass
    assert (tmp_path / "plain").stat().st_mode & 0o777 == mode
    assert {p.name: p.stat().st_mode & 0o777 for p in written} == dict.fromkeys(["a.bin", "b.json", "c.parquet"], mode)


def test_outputs_written_together_are_all_replaced_or_none_is(tmp_path):
    for name in ("a", "b"):
        atomic_write_bytes(tmp_path / name, b"old")
    with pytest.raises(RuntimeError), all_or_nothing():
        atomic_write_bytes(tmp_path / "a", b"new")
        assert (tmp_path / "a").read_bytes() == b"old", "swapped in before the block ended"
        raise RuntimeError("the second output could not be made")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"a": b"old", "b": b"old"}  # no temp files left

    with all_or_nothing():
        atomic_write_bytes(tmp_path / "a", b"new")
        with all_or_nothing():          # a nested block joins the outer one
            atomic_write_bytes(tmp_path / "b", b"new")
        assert (tmp_path / "b").read_bytes() == b"old"
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"a": b"new", "b": b"new"}
