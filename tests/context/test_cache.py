"""The comparisons' one stage cache (lle.context.cache) and the one table of backbones (lle.models.backbones)."""

import json

import pytest

from lle.context.cache import StageRecord, StaleStageError
from lle.models.backbones import BACKBONES, backbone


def test_a_record_is_current_only_when_every_stored_input_equals_the_current_one(tmp_path):
    stage = StageRecord(tmp_path / "stage" / "a.json", {"grid": (1, 2), "seed": 0}, refresh="make it")
    assert stage.current() is None and stage.differences() == ["grid", "seed"]
    stage.write({"provenance": {"seconds": 3.5}, "rows": [1, 2]})
    stored = json.loads((tmp_path / "stage" / "a.json").read_text())
    assert stored["provenance"] == {"grid": [1, 2], "seed": 0, "seconds": 3.5}  # inputs stored as JSON reads them
    assert stage.current()["rows"] == [1, 2] and stage.require() == stored  # a tuple equals its stored list
    changed = StageRecord(stage.path, {"grid": (1, 3), "seed": 0}, refresh="python scripts/x.py")
    assert changed.current() is None and changed.differences() == ["grid"]
    with pytest.raises(StaleStageError, match=r"grid differ\); run python scripts/x.py"):
        changed.require()


def test_a_missing_or_unreadable_record_is_never_current_and_reading_it_says_how_to_make_it(tmp_path):
    stage = StageRecord(tmp_path / "a.json", {"seed": 0}, refresh="python scripts/compute_stc.py")
    with pytest.raises(StaleStageError, match="no cached stage result at .*a.json; run python scripts/compute_stc"):
        stage.require()
    (tmp_path / "a.json").write_text("{not json")
    assert stage.current() is None


def test_a_top_level_record_such_as_a_feature_sidecar_is_checked_the_same_way(tmp_path):
    sidecar = StageRecord(tmp_path / "f.json", {"fingerprint": {"model": "m"}}, refresh="r", section=None)
    sidecar.write({"file_sha256": "abc"})
    assert sidecar.current() == {"file_sha256": "abc", "fingerprint": {"model": "m"}}
    assert StageRecord(sidecar.path, {"fingerprint": {"model": "n"}}, refresh="r", section=None).current() is None


def test_one_table_names_each_backbone_its_kind_and_the_lle_run_beside_it():
    from lle.runs.pipeline import PAPER_RUNS

    runs = {run.slug for run in PAPER_RUNS}
    assert all(b.lle_run in runs and b.hub_id.endswith(b.name) for b in BACKBONES.values())
    assert {b.name for b in BACKBONES.values() if b.decoder} == {"SmolLM2-135M-Instruct", "gemma-3-270m"}
    with pytest.raises(ValueError, match="not one of .*add it to lle.models.backbones.BACKBONES"):
        backbone("bert-base")
