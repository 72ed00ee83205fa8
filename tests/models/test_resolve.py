"""Model resolution: offline copies from PyPI packages, checksums, clear errors. Real models only where installed."""

import zipfile

import pytest
import torch

from lle import network
from lle.models import architectures
from lle.models import resolve as models


def test_every_offline_copy_names_its_checksum_and_packages():
    for copy in models.OFFLINE_COPIES.values():
        assert len(copy.sha256) == 64 and copy.distributions
        assert copy.form in ("directory", "zip", "gguf")
        assert (copy.quantization is not None) == (copy.form == "gguf")


def test_missing_package_is_none():
    assert models.package_part("no-such-distribution-lle", ".gguf") is None


def test_offline_without_a_copy_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(models.ModelNotAvailableError, match="HF_HUB_OFFLINE"):
        models.resolve_model("some-org/unknown-model")


def test_online_without_a_copy_resolves_to_the_hub_with_a_warning(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(network, "hub_reachable", lambda: True)  # never contact the Hub from a test
    with pytest.warns(UserWarning, match="downloaded from the Hugging Face Hub"):
        resolved = models.resolve_model("some-org/unknown-model")
    assert resolved.location == "some-org/unknown-model" and resolved.source == "hub"


def test_a_known_model_without_its_copy_names_make_models(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(network, "hub_reachable", lambda: True)
    monkeypatch.setattr(models, "offline_parts", lambda copy: None)  # as on a clone without make models
    with pytest.warns(UserWarning, match="make models"):
        models.resolve_model("sentence-transformers/all-MiniLM-L6-v2")


def test_unreachable_hub_without_a_copy_fails_at_once_naming_make_models(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(network, "hub_reachable", lambda: False)
    with pytest.raises(models.ModelNotAvailableError, match="cannot be reached"):
        models.resolve_model("some-org/unknown-model")


def test_joined_parts_are_verified_before_use(tmp_path):
    archive = tmp_path / "m.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("inner/config.json", "{}")
    payload = archive.read_bytes()
    parts = [tmp_path / "part1", tmp_path / "part2"]
    parts[0].write_bytes(payload[:10])
    parts[1].write_bytes(payload[10:])
    wrong = models.OfflineCopy("org/m", ("a", "b"), ".zip", "0" * 64, "zip", inner_path="inner")
    with pytest.raises(ValueError, match="checksum mismatch.*make models"):
        models._materialize(wrong, parts, tmp_path / "cache")
    from lle.integrity import sha256_file

    right = models.OfflineCopy("org/m", ("a", "b"), ".zip", sha256_file(archive), "zip", inner_path="inner")
    target = models._materialize(right, parts, tmp_path / "cache")
    assert (target / "config.json").read_text() == "{}"
    assert models._materialize(right, parts, tmp_path / "cache") == target  # reused, marker matches


def test_two_resolving_one_copy_at_once_both_get_the_whole_copy(tmp_path, monkeypatch):
    import time
    from concurrent.futures import ThreadPoolExecutor

    from lle.integrity import sha256_file

    archive = tmp_path / "m.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("inner/config.json", "{}")
    copy = models.OfflineCopy("org/m", ("a",), ".zip", sha256_file(archive), "zip", inner_path="inner")
    verify = models._verify
    monkeypatch.setattr(models, "_verify", lambda path, copy: (time.sleep(0.3), verify(path, copy)))  # a long join
    with ThreadPoolExecutor(2) as pool:
        folders = list(pool.map(lambda _: models._materialize(copy, [archive], tmp_path / "cache"), range(2)))
    assert folders[0] == folders[1] and (folders[0] / "config.json").read_text() == "{}"
    assert sorted(p.name for p in (tmp_path / "cache" / "models").iterdir()) == [".org--m.lock", "org--m"]


def test_prepare_offline_copies_resolves_every_installed_copy_once(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "offline_available", lambda hub_id: hub_id.endswith("MiniLM-L6-v2"))
    monkeypatch.setattr(
        models, "resolve_model", lambda hub_id, cache: models.ResolvedModel(hub_id, f"{cache}/x", "t", None, None)
    )
    assert models.prepare_offline_copies(cache=tmp_path) == {"sentence-transformers/all-MiniLM-L6-v2": f"{tmp_path}/x"}


EXPECTED_LAYERS = {
    "sentence-transformers/all-MiniLM-L6-v2": 6,
    "sentence-transformers/all-mpnet-base-v2": 12,
    "HuggingFaceTB/SmolLM2-135M-Instruct": 30,
    "google/gemma-3-270m": 18,
}


@pytest.mark.real_models
@pytest.mark.parametrize("hub_id", sorted(EXPECTED_LAYERS))
def test_real_model_loads_offline(hub_id, monkeypatch):
    if not models.offline_available(hub_id):
        pytest.skip(f"offline copy of {hub_id} not installed (make models)")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    resolved = models.resolve_model(hub_id)
    assert resolved.source == "offline-package"
    loader = models.load_causal_lm if resolved.quantization else models.load_backbone
    model = loader(hub_id)
    tokenizer = models.load_tokenizer(hub_id)
    assert architectures.n_layers(model) == EXPECTED_LAYERS[hub_id]
    inputs = tokenizer(["I am so happy today"], return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**inputs, output_hidden_states=True).hidden_states
    assert len(hidden) == EXPECTED_LAYERS[hub_id] + 1
    assert all(torch.isfinite(h).all() for h in hidden)


def test_a_resolved_model_is_loaded_from_its_location_without_resolving_again(tmp_path, monkeypatch):
    import tiny_models

    from lle.models import resolve

    tiny_models.build("bert").save_pretrained(tmp_path / "mine")
    tiny_models.tiny_tokenizer().save_pretrained(tmp_path / "mine")
    resolved = models.resolve_model(str(tmp_path / "mine"))
    monkeypatch.setattr(resolve, "resolve_model", lambda *a, **k: pytest.fail("resolved twice"))
    assert type(resolve.load_backbone(resolved)).__name__ == "BertModel"
    assert resolve.load_tokenizer(resolved)("a b")["input_ids"]


def test_a_local_model_directory_resolves_to_itself_with_its_weights_digest(tmp_path, monkeypatch):
    import tiny_models

    monkeypatch.setattr(network, "hub_reachable", lambda: pytest.fail("a local directory must not probe the Hub"))
    tiny_models.build("bert").save_pretrained(tmp_path / "mine")
    resolved = models.resolve_model(str(tmp_path / "mine"))
    assert (resolved.location, resolved.source) == (str(tmp_path / "mine"), "local-directory")
    assert len(resolved.weights_sha256) == 64
    assert type(models.load_backbone(str(tmp_path / "mine"))).__name__ == "BertModel"
    (tmp_path / "mine" / "model.safetensors").write_bytes(b"changed")  # other weights, another identity
    assert models.resolve_model(str(tmp_path / "mine")).weights_sha256 != resolved.weights_sha256


@pytest.mark.parametrize("files, message", [((), "no config.json"), (("config.json",), "no weight files")])
def test_a_directory_that_is_not_a_model_is_a_clear_error(tmp_path, files, message):
    for name in files:
        (tmp_path / name).write_text("{}")
    with pytest.raises(models.ModelNotAvailableError, match=message):
        models.resolve_model(str(tmp_path))


def test_an_encoder_decoder_checkpoint_loads_as_its_encoder(tmp_path):
    import transformers

    from lle.models.readout import EarlyExitClassifier

    config = transformers.T5Config(
        vocab_size=64, d_model=32, d_ff=48, d_kv=16, num_layers=3, num_heads=2, pad_token_id=0
    )
    transformers.T5Model(config).save_pretrained(tmp_path / "flan")  # as google/flan-t5-* ships: encoder and decoder
    backbone = models.load_backbone(str(tmp_path / "flan"))
    assert type(backbone).__name__ == "T5EncoderModel"
    logits = EarlyExitClassifier(backbone, 3)(torch.tensor([[5, 6, 7]]), torch.tensor([[1, 1, 1]]))
    assert logits.shape == (1, 3)
