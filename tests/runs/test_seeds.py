"""Training seeds as units (lle.runs.seeds): which runs are seeded, where their scores go, what changes."""

from lle.runs import seeds
from lle.runs.pipeline import PAPER_RUNS, find_run
from lle.store.scores import save_layer_scores, score_path


def test_seeded_runs_are_trained_paper_runs_and_a_seed_changes_only_the_seed():
    paper = {(run.slug, run.recipe.dataset): run for run in PAPER_RUNS}
    assert 0 not in seeds.SEEDS and len(set(seeds.SEEDED_RUNS)) == len(seeds.SEEDED_RUNS)
    for slug, dataset in seeds.SEEDED_RUNS:
        run = paper[slug, dataset]
        assert run.recipe.mode != "zeroshot"  # a run that trains nothing has nothing a seed could change
        for seed in seeds.SEEDS:
            seeded = seeds.seed_run(slug, dataset, seed)
            assert seeded.slug == slug and seeded.recipe.seed == seed
            assert {**seeded.recipe.to_dict(), "seed": 0} == {**run.recipe.to_dict(), "seed": 0}
    assert find_run(*seeds.SEEDED_RUNS[0]).recipe.seed == 0  # the committed runs are seed 0


def test_each_seed_has_its_own_results_folder_and_pending_lists_what_is_not_cached(tmp_path):
    assert seeds.seed_root(0, tmp_path) == tmp_path and seeds.seed_root(2, tmp_path) == tmp_path / "seeds" / "seed2"
    assert len(seeds.pending(tmp_path)) == len(seeds.SEEDED_RUNS) * len(seeds.SEEDS)
    slug, dataset = seeds.SEEDED_RUNS[0]
    for split in ("validation", "test"):
        save_layer_scores(
            score_path(slug, dataset, split, seeds.seed_root(1, tmp_path)),
            [[[0.0, 0.0]]],
            [0],
            {"run": slug, "dataset": dataset, "split": split},
        )
    assert seeds.is_cached(slug, dataset, 1, tmp_path) and not seeds.is_cached(slug, dataset, 2, tmp_path)
    assert (slug, dataset, 1) not in seeds.pending(tmp_path) and (slug, dataset, 2) in seeds.pending(tmp_path)


def test_a_seed_whose_scores_are_not_committed_counts_as_cached_by_its_sidecars_and_predictions(tmp_path):
    from lle.store.prediction_files import predictions_path, save_predictions

    slug, dataset = seeds.SCORES_NOT_COMMITTED[0]
    assert (slug, dataset) in seeds.SEEDED_RUNS
    root = seeds.seed_root(1, tmp_path)
    for split in ("validation", "test"):
        path = score_path(slug, dataset, split, root)
        save_layer_scores(path, [[[0.0, 0.0]]], [0], {"run": slug, "dataset": dataset, "split": split})
        path.unlink()  # the sidecar stays, as in the repository
    assert not seeds.is_cached(slug, dataset, 1, tmp_path)  # no predictions: nothing to read
    save_predictions(predictions_path(root, slug, dataset), {"labels": [0], "standard": [0]}, {"run": slug})
    assert seeds.is_cached(slug, dataset, 1, tmp_path) and (slug, dataset, 1) not in seeds.pending(tmp_path)


def test_the_repository_ignores_exactly_the_seed_score_files_it_does_not_commit():
    import subprocess

    from lle.paths import REPO_ROOT

    for slug, dataset in seeds.SEEDED_RUNS:
        for split in ("validation", "test"):
            path = score_path(slug, dataset, split, seeds.seed_root(1, REPO_ROOT / "results"))
            relative = [str(path.relative_to(REPO_ROOT)), str(path.with_suffix(".json").relative_to(REPO_ROOT))]
            ignored = subprocess.run(
                ["git", "check-ignore", "--no-index", *relative], cwd=REPO_ROOT, capture_output=True, text=True
            ).stdout.split()
            expected = [relative[0]] if (slug, dataset) in seeds.SCORES_NOT_COMMITTED else []
            assert ignored == expected, (slug, dataset, split)
