"""Bad command lines of lle run and lle evaluate: (id, what the user did, argv builder, regexes the error must
match). Each builder gets (files, out, tmp_path) and returns the argv; nothing may be written on refusal."""

from own_data import run_arguments


def _project_folder(tmp_path):
    project = tmp_path / "project"
    (project / "results" / "tables").mkdir(parents=True)
    (project / "results" / "tables" / "comparison.csv").write_text("mine\n")
    return project


def _folder_with_file(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    return folder


CLI_CASES = [
    (
        "cli-epochs-negative",
        "lle run --epochs -1",
        lambda f, o, t: run_arguments(f, o, "--epochs", "-1", dataset=None),
        ["argument --epochs", ">= 1"],
    ),
    (
        "cli-epochs-zero",
        "lle run --epochs 0",
        lambda f, o, t: run_arguments(f, o, "--epochs", "0", dataset=None),
        ["argument --epochs", ">= 1"],
    ),
    (
        "cli-batch-zero",
        "lle run --batch-size 0",
        lambda f, o, t: run_arguments(f, o, "--batch-size", "0", dataset=None),
        ["argument --batch-size", ">= 1"],
    ),
    (
        "cli-rate-nan",
        "lle run --learning-rate nan",
        lambda f, o, t: run_arguments(f, o, "--learning-rate", "nan", dataset=None),
        ["argument --learning-rate", "finite number > 0"],
    ),
    (
        "cli-rate-negative",
        "lle run --learning-rate -1e-3",
        lambda f, o, t: run_arguments(f, o, "--learning-rate=-1e-3", dataset=None),
        ["argument --learning-rate", "> 0"],
    ),
    (
        "cli-samples-zero",
        "lle run --max-train-samples 0",
        lambda f, o, t: run_arguments(f, o, "--max-train-samples", "0", dataset=None),
        ["argument --max-train-samples", ">= 1"],
    ),
    (
        "cli-length-zero",
        "lle run --max-length 0",
        lambda f, o, t: run_arguments(f, o, "--max-length", "0", dataset=None),
        ["argument --max-length", ">= 1"],
    ),
    (
        "cli-seed-negative",
        "lle run --seed -1",
        lambda f, o, t: run_arguments(f, o, "--seed=-1", dataset=None),
        ["argument --seed", ">= 0"],
    ),
    (
        "cli-device-name",
        "lle run --device gpu",
        lambda f, o, t: run_arguments(f, o, "--device", "gpu", dataset=None),
        ["argument --device", "cuda:N"],
    ),
    (
        "cli-device-cuda",
        "lle run --device cuda without a GPU",
        lambda f, o, t: run_arguments(f, o, "--device", "cuda", dataset=None),
        ["--device cuda", "no CUDA device", "'cpu'"],
    ),
    (
        "cli-fp16-cpu",
        "lle run --precision fp16 on the CPU",
        lambda f, o, t: run_arguments(f, o, "--device", "cpu", "--precision", "fp16", dataset=None),
        ["--precision fp16", "needs a GPU"],
    ),
    (
        "cli-out-file",
        "lle run --out pointing at a file",
        lambda f, o, t: run_arguments(f, f["train"], dataset=None),
        ["--out .*train.csv is a file", "pass a folder"],
    ),
    (
        "cli-out-foreign",
        "lle run --out an existing folder of someone else's files",
        lambda f, o, t: run_arguments(f, _project_folder(t), dataset=None),
        ["files that lle did not write", "results", "choose another folder"],
    ),
    (
        "cli-out-under-file",
        "lle run --out a path below a file",
        lambda f, o, t: run_arguments(f, f["train"] / "out", dataset=None),
        ["lies under", "which is a file"],
    ),
    (
        "cli-dataset-slash",
        "lle run --dataset a/b",
        lambda f, o, t: run_arguments(f, o, "--dataset", "a/b", dataset=None),
        ["argument --dataset", "letters, digits"],
    ),
    (
        "cli-dataset-paper",
        "lle run --dataset goemotions",
        lambda f, o, t: run_arguments(f, o, "--dataset", "goemotions", dataset=None),
        ["--dataset goemotions", "paper's datasets", "--dataset my-goemotions"],
    ),
    (
        "cli-dataset-folder-name",
        "lle run on files in a folder named goemotions, without --dataset",
        lambda f, o, t: run_arguments({**f, "train": _in_folder(f["train"], t / "goemotions")}, o, dataset=None),
        ["the train file's folder name 'goemotions'", "--dataset my-goemotions"],
    ),
    (
        "cli-name-space",
        "lle run --name 'my run'",
        lambda f, o, t: run_arguments(f, o, "--name", "my run", dataset=None),
        ["argument --name", "letters, digits"],
    ),
    (
        "cli-same-columns",
        "lle run --text-column label",
        lambda f, o, t: run_arguments(f, o, "--text-column", "label", dataset=None),
        ["both 'label'", "--text-column, --label-column"],
    ),
    (
        "cli-zeroshot-epochs",
        "lle run --mode zeroshot --epochs 2",
        lambda f, o, t: run_arguments(f, o, "--mode", "zeroshot", "--epochs", "2", dataset=None),
        ["--epochs 2 with --mode zeroshot", "drop --epochs"],
    ),
    (
        "cli-zeroshot-samples",
        "lle run --mode zeroshot --max-train-samples 10",
        lambda f, o, t: run_arguments(f, o, "--mode", "zeroshot", "--max-train-samples", "10", dataset=None),
        ["--max-train-samples with --mode zeroshot"],
    ),
    (
        "cli-model-missing-path",
        "lle run --model ./no-such-model",
        lambda f, o, t: run_arguments(f, o, model="./no-such-model", dataset=None),
        ["--model ./no-such-model does not exist", "config.json"],
    ),
    (
        "cli-model-file",
        "lle run --model pointing at a weights file",
        lambda f, o, t: run_arguments(f, o, model=str(f["train"]), dataset=None),
        ["is a file", "save_pretrained"],
    ),
    (
        "cli-model-not-an-id",
        "lle run --model 'my model!'",
        lambda f, o, t: run_arguments(f, o, model="my model!", dataset=None),
        ["neither a folder nor a Hub id"],
    ),
    (
        "cli-bad-data",
        "lle run on a train file with one class",
        lambda f, o, t: run_arguments({**f, "train": _one_class(t)}, o, dataset=None),
        ["one class", "--label-column"],
    ),
    (
        "cli-length-above-limit",
        "lle run --max-length 4096 for a model of 128 positions",
        lambda f, o, t: run_arguments(f, o, "--max-length", "4096", dataset=None),
        ["--max-length 4096 is above the model's limit of 128"],
    ),
    (
        "cli-evaluate-missing",
        "lle evaluate on a folder that does not exist",
        lambda f, o, t: ["evaluate", str(t / "nowhere")],
        ["does not exist", "--out folder of an lle run"],
    ),
    (
        "cli-evaluate-file",
        "lle evaluate on a file",
        lambda f, o, t: ["evaluate", str(f["train"])],
        ["is a file", "--out folder of an lle run"],
    ),
    (
        "cli-evaluate-foreign",
        "lle evaluate on a folder lle did not make",
        lambda f, o, t: ["evaluate", str(_folder_with_file(t, "other"))],
        ["not made by lle run", ".lle-output.json"],
    ),
    (
        "cli-evaluate-empty",
        "lle evaluate before any lle run finished",
        lambda f, o, t: ["evaluate", str(_claimed(t))],
        ["no per-layer scores yet", "lle run ... --out"],
    ),
    (
        "cli-verify-nothing",
        "lle verify with no run, folder or --all",
        lambda f, o, t: ["verify"],
        ["RUN DATASET, or DIR", "--all"],
    ),
    (
        "cli-verify-all-and-run",
        "lle verify --all with a run",
        lambda f, o, t: ["verify", "--all", "x"],
        ["takes no RUN DATASET or DIR"],
    ),
    (
        "cli-verify-missing-folder",
        "lle verify on a folder that does not exist",
        lambda f, o, t: ["verify", str(t / "nowhere")],
        ["does not exist", "--out folder of an lle run"],
    ),
    (
        "cli-verify-unknown-run",
        "lle verify on a run that is not cached",
        lambda f, o, t: ["verify", "nope", "tweet_hate"],
        ["no cached run nope / tweet_hate", "cached: ", "--out folder of an lle run"],
    ),
    (
        "cli-evaluate-resamples",
        "lle evaluate --n-resamples 0",
        lambda f, o, t: ["evaluate", str(t), "--n-resamples", "0"],
        ["argument --n-resamples", ">= 1"],
    ),
]


def _in_folder(path, folder):
    folder.mkdir()
    copy = folder / path.name
    copy.write_text(path.read_text())
    return copy


def _one_class(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("text,label\n" + "i am so happy,happy\n" * 6)
    return path


def _claimed(tmp_path):
    from lle.store.outputs import claim_output_folder

    return claim_output_folder(tmp_path / "claimed")
