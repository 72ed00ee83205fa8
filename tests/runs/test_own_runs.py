"""A run on your own files into an output folder (lle.runs.own_runs), through the API rather than the command
line: the dataset's name, the checks before any work, a rerun that has nothing to do, scores made from other inputs
kept unless forced, and a failed run leaving no folder it made."""

from pathlib import Path

import pytest
from own_data import write_split

from lle.runs import own_runs
from lle.runs.own_runs import RunRequest


@pytest.fixture
def request_for(tiny_pipeline):
    (tiny_pipeline / "mine").mkdir()
    files = {
        split: write_split(tiny_pipeline / "mine" / f"{split}.csv", n, seed)
        for split, n, seed in (("train", 40, 0), ("validation", 20, 1), ("test", 20, 2))
    }

    def build(**changes):
        base = dict(
            model="tiny-llama",
            out=tiny_pipeline / "out",
            epochs=1,
            max_length=16,
            name="tiny",
            **{split: str(path) for split, path in files.items()},
        )
        return RunRequest(**{**base, **changes})

    return build


def test_the_dataset_is_named_by_the_flag_else_by_the_train_files_folder(tmp_path):
    request = RunRequest("m", str(tmp_path / "my data!" / "train.csv"), "v.csv", "t.csv", tmp_path)
    assert own_runs.dataset_name(request) == "my-data"
    assert own_runs.dataset_name(RunRequest("m", "hub:someone/reviews:train", "v", "t", tmp_path)) == "someone-reviews"
    assert own_runs.dataset_name(RunRequest("m", "x/train.csv", "v", "t", tmp_path, dataset="mine")) == "mine"


def test_a_zero_shot_run_with_epochs_is_refused_before_any_work(request_for):
    request = request_for(mode="zeroshot", epochs=2)
    with pytest.raises(ValueError, match="a zero-shot run trains nothing; drop --epochs"):
        own_runs.prepare_run(request)
    assert not request.out.exists()


def test_a_papers_dataset_name_is_refused(request_for):
    with pytest.raises(ValueError, match="--dataset goemotions is the name of one of the paper's datasets"):
        own_runs.prepare_run(request_for(dataset="goemotions"))


def test_a_rerun_has_nothing_to_do_and_other_inputs_are_kept_unless_forced(request_for, capsys):
    request = request_for()
    own_runs.run_into_folder(request, *own_runs.prepare_run(request))
    scores = sorted(Path(request.out, "layer_scores", "tiny").glob("*.npz"))
    written = {path.name: path.read_bytes() for path in scores}
    assert "wrote per-layer scores of tiny" in capsys.readouterr().out
    own_runs.run_into_folder(request, *own_runs.prepare_run(request))
    assert "nothing to do" in capsys.readouterr().out
    other = request_for(seed=1)
    with pytest.raises(ValueError, match="made from other inputs.*--name to keep both, or --force"):
        own_runs.run_into_folder(other, *own_runs.prepare_run(other))
    assert {path.name: path.read_bytes() for path in scores} == written
    forced = request_for(seed=1, force=True)
    own_runs.run_into_folder(forced, *own_runs.prepare_run(forced))
    assert {path.name: path.read_bytes() for path in scores} != written


def test_a_failed_run_leaves_no_folder_it_made(request_for, monkeypatch):
    request = request_for(out=request_for().out.parent / "new")
    plan, defaults = own_runs.prepare_run(request)

    def fail(*args, **kwargs):
        raise RuntimeError("killed midway")

    monkeypatch.setattr(own_runs, "compute_run", fail)
    with pytest.raises(RuntimeError, match="killed midway"):
        own_runs.run_into_folder(request, plan, defaults)
    assert not request.out.exists()
