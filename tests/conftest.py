import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the helpers every test folder imports: tiny_models, own_data

from lle import data  # noqa: E402


def pytest_configure(config):
    """One thread per test worker (and for the processes it starts: notebook kernels, lle runs), unless a test sets
    its own: with `make test`'s two workers on two cores, more threads only oversubscribe the CPU, and busy-waiting
    thread pools then slow every test down several times."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        os.environ.setdefault("MKL_NUM_THREADS", "1")
        import torch

        torch.set_num_threads(1)


@pytest.fixture(scope="session")
def data_dir():
    """The verified data directory, or a skip naming where the files should be."""
    for directory in data.data_dir_candidates():
        if (directory / "lle-paper").is_dir():
            return directory
    pytest.skip("the paper's data are not available (see ../shared/data/README.md or set LLE_DATA_DIR)")


@pytest.fixture
def tiny_pipeline(monkeypatch, tmp_path):
    """Route the pipeline's model loading to tiny random models (tiny-bert, tiny-llama); checkpoints into a
    temporary cache. Returns the temporary directory."""
    import tiny_models

    from lle.models import resolve
    from lle.models.resolve import ResolvedModel
    from lle.runs import pipeline

    name = {"tiny-bert": "bert", "tiny-llama": "llama"}
    monkeypatch.setenv("LLE_CACHE_DIR", str(tmp_path / "cache"))
    for module in (pipeline, resolve):  # the pipeline's own calls, and tokenizer_with_padding's
        monkeypatch.setattr(module, "load_tokenizer", lambda model_id: tiny_models.tiny_tokenizer())
    monkeypatch.setattr(pipeline, "load_backbone", lambda model: tiny_models.build(name[model.hub_id]))
    monkeypatch.setattr(pipeline, "load_causal_lm", lambda model: tiny_models.build(name[model.hub_id], causal_lm=True))
    monkeypatch.setattr(
        pipeline, "resolve_model", lambda model_id: ResolvedModel(model_id, "memory", "test", None, None)
    )
    return tmp_path
