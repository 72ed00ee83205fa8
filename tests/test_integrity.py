"""Atomic writes and checksums (lle.integrity)."""

import pytest

from lle.integrity import atomic_path


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("good\n")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_text("half")
            raise RuntimeError("killed midway")
    assert target.read_text() == "good\n" and list(tmp_path.iterdir()) == [target]
