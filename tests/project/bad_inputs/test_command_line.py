"""Bad command lines of lle run and lle evaluate exit with status 2, name the flag, file or folder and the fix,
and write nothing."""

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the case tables beside this file
from cases_cli import CLI_CASES  # noqa: E402
from own_data import GOOD  # noqa: E402


def call_cli(argv, capsys) -> tuple[int, str]:
    from lle import cli

    try:
        code = cli.main(argv)
    except SystemExit as exit:  # argparse refuses before main's handler
        code = exit.code
    return code, capsys.readouterr().err


@pytest.fixture
def cli_files(tiny_pipeline, monkeypatch):
    import tiny_models

    from lle.models import resolve
    from lle.runs import pipeline

    def tokenizer(model_id):
        loaded = tiny_models.tiny_tokenizer()
        loaded.model_max_length = 128  # the tiny encoder's positions
        return loaded

    monkeypatch.setattr(pipeline, "load_tokenizer", tokenizer)
    monkeypatch.setattr(resolve, "load_tokenizer", tokenizer)  # what tokenizer_with_padding calls
    files = {}
    for split in ("train", "validation", "test"):
        files[split] = tiny_pipeline / f"{split}.csv"
        files[split].write_text(GOOD[split])
    return files


@pytest.mark.parametrize("case_id, what, argv, patterns", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_bad_command_line_fails_clearly_and_writes_nothing(cli_files, tmp_path, capsys, case_id, what, argv, patterns):
    arguments = argv(cli_files, tmp_path / "out", tmp_path)  # builds what the case needs first
    before = sorted(p for p in tmp_path.rglob("*") if "cache" not in p.parts)
    code, err = call_cli(arguments, capsys)
    assert code == 2, f"{case_id}: exit {code}, stderr {err}"
    for pattern in patterns:
        assert re.search(pattern, err), f"{case_id}: {pattern!r} not in {err}"
    after = sorted(p for p in tmp_path.rglob("*") if "cache" not in p.parts)
    assert after == before and not (tmp_path / "out").exists(), (
        f"{case_id}: a refused run wrote {set(after) - set(before)}"
    )
    project = tmp_path / "project" / "results" / "tables" / "comparison.csv"
    assert not project.exists() or project.read_text() == "mine\n"
