"""The STC stage (lle.context.stc.stage): cached with provenance, resumed, and its missing inputs named."""

import json

import pytest
import tiny_models

from lle.context.stc import feature_cache as stc_features
from lle.context.stc import method as stc
from lle.context.stc import stage as stc_stage


def test_stage_caches_with_provenance_and_resumes(monkeypatch, tmp_path, data_dir):
    """Features of a tiny model on the real SST-2 files: cached once, reused, rerun only where inputs changed."""
    from lle.models.resolve import ResolvedModel

    monkeypatch.setattr(stc_features, "load_backbone", lambda model_id: tiny_models.build("bert"))
    monkeypatch.setattr(stc_features, "tokenizer_with_padding", lambda model_id: tiny_models.tiny_tokenizer())
    monkeypatch.setattr(
        stc_features, "resolve_model", lambda model_id: ResolvedModel(model_id, "memory", "test", None, None)
    )
    source = stc_features.FeatureSource("all-MiniLM-L6-v2", "sst2", max_train_samples=40, max_validation_samples=20)
    seconds = stc_features.compute_features(source, cache_root=tmp_path, progress=False)
    assert all(value > 0 for value in seconds.values())
    assert stc_features.compute_features(source, cache_root=tmp_path, progress=False) == dict.fromkeys(seconds, 0.0)
    features, labels, sidecar = stc_features.load_features(source, "validation", cache_root=tmp_path)
    assert labels.tolist() == source.labels("validation").tolist()
    assert labels.shape == (20,) and features[("hidden", "token")].shape == (20, 4, 32)
    assert sidecar["fingerprint"]["data_sha256"]["sst2/dev.tsv"]

    grid = stc.ProbeGrid(cs=(1.0,), etas=(0.5,))  # weak regularization: tiny random features keep some neurons
    results = tmp_path / "results"
    done = stc_stage.run_source(
        source, grid, poolings=("mean",), cache_root=tmp_path, results_root=results, progress=False
    )
    assert all(value > 0 for value in done.values())
    again = stc_stage.run_source(
        source, grid, poolings=("mean",), cache_root=tmp_path, results_root=results, progress=False
    )
    assert set(again.values()) == {0.0}
    changed = stc_stage.run_source(
        source,
        stc.ProbeGrid(cs=(2.0,), etas=(0.5,)),
        poolings=("mean",),
        cache_root=tmp_path,
        results_root=results,
        progress=False,
    )
    assert all(value > 0 for value in changed.values())  # another grid is another result: recomputed
    stored = json.loads(stc_stage.result_path(source, "ffn", "mean", results).read_text())
    assert set(stored["test_predictions"]) == {"best_layer", "final_layer", "aggregated"}
    assert len(stored["test_predictions"]["aggregated"]) == len(
        stc_features.sst2_split("test", n_train=40, n_validation=20, seed=0)[1]
    )
    assert "test_predictions" not in stored["layers"][0]  # kept only for the chosen probes
    loaded = stc_stage.load_results(results)
    layers = loaded.layers
    assert set(layers["representation"]) == {"hidden", "ffn"} and layers["relative_depth"].max() == 1.0
    assert (layers.loc[layers["representation"] == "ffn", "layer"].min()) == 1  # FFN layers start at block 1
    assert set(loaded.predictions) == {("all-MiniLM-L6-v2", "sst2", rep, "mean") for rep in ("hidden", "ffn")}
    assert loaded.of("goemotions").layers.empty and len(loaded.of(exclude="goemotions").sources) == 2

    # Plain (L2) probes beside the L1 ones: the same layers, cached with their provenance, reused when unchanged.
    plain = stc_stage.run_plain(source, grid, cache_root=tmp_path, results_root=results, progress=False)
    assert all(value > 0 for value in plain.values())
    assert set(
        stc_stage.run_plain(source, grid, cache_root=tmp_path, results_root=results, progress=False).values()
    ) == {0.0}
    rows = stc_stage.load_plain(results)
    assert rows.layer.tolist() == list(range(4)) * 2 and rows.penalty.tolist() == ["l1"] * 4 + ["l2"] * 4
    assert set(rows.pooling) == {"mean"} and (rows.test_predictions.map(len) == rows.n_test).all()
    assert stc_stage.load_plain(tmp_path / "nowhere").empty

    path = source.path("train", tmp_path)
    path.write_bytes(path.read_bytes()[:-10])  # a corrupt cache is an error, never reused silently
    with pytest.raises(stc_features.CacheMismatchError, match="checksum"):
        stc_features.load_features(source, "train", cache_root=tmp_path)
    assert stc_features.is_cached(source, "train", cache_root=tmp_path) is False


def test_missing_features_and_results_name_the_fix(tmp_path):
    source = stc_features.FeatureSource("all-MiniLM-L6-v2", "goemotions")
    with pytest.raises(FileNotFoundError, match="compute_features"):
        stc_features.load_features(source, "train", cache_root=tmp_path)
    with pytest.raises(FileNotFoundError, match="no STC results"):
        stc_stage.load_results(tmp_path)
    with pytest.raises(ValueError, match="backbone 'bert' is not one of"):
        stc_features.FeatureSource("bert", "goemotions")
    with pytest.raises(ValueError, match="dataset 'imdb' must be one of"):
        stc_features.FeatureSource("all-MiniLM-L6-v2", "imdb")
