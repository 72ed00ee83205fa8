"""The one table of backbones (lle.models.backbones)."""

import tiny_models

from lle.context.stc import feature_cache as stc_features
from lle.context.stc import stage as stc_stage


def test_stc_sits_beside_the_lle_run_on_the_same_backbone(monkeypatch):
    monkeypatch.setattr(stc_features, "load_backbone", lambda model_id: tiny_models.build("bert"))
    beside = stc_stage.beside_run(stc_features.FeatureSource("all-MiniLM-L6-v2", "goemotions"), 28)
    assert beside["run"] == "all-MiniLM-L6-v2-finetuned"
    assert beside["trainable_parameters"] == beside["backbone_parameters"] + 32 * 128 + 128 + 128 * 28 + 28
    assert stc_stage.beside_run(stc_features.FeatureSource("all-MiniLM-L6-v2", "sst2"), 2) is None
