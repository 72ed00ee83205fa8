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


def pytest_collection_modifyitems(config, items):
    """Under xdist, give every worker its share of the slow test files first. The work-stealing scheduler hands
    each worker a contiguous slice of the collected order and lets an idle worker take the tail of another's; in
    path order the slow files (notebooks, fault tests, the site, the device check) sit mostly in the second half,
    so one worker ran them one after another while the other stole quick tests. Files stay whole, so a file's
    module-scoped fixtures are still built once."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or getattr(config.option, "numprocesses", 0) or 0)
    if workers < 2:
        return
    files: dict = {}
    for item in items:
        files.setdefault(item.path, []).append(item)
    slow = [tests for tests in files.values() if any(item.get_closest_marker("slow") for item in tests)]
    quick = [item for tests in files.values() if tests not in slow for item in tests]

    def slow_count(tests):
        return sum(bool(item.get_closest_marker("slow")) for item in tests)

    shares, loads = [[] for _ in range(workers)], [0] * workers
    for tests in sorted(slow, key=slow_count, reverse=True):  # the most slow tests first, each to the lightest share
        lightest = loads.index(min(loads))
        shares[lightest].extend(tests)
        loads[lightest] += slow_count(tests)
    for index, share in enumerate(shares):  # then quick tests up to the slice the scheduler will cut
        need = max(len(items) * (index + 1) // workers - len(items) * index // workers - len(share), 0)
        share.extend(quick[:need])
        del quick[:need]
    shares[-1].extend(quick)
    items[:] = [item for share in shares for item in share]


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
