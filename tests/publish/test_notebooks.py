"""Every notebook runs under papermill with small parameters; a notebook that breaks breaks the build."""

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import yaml

from lle.paths import REPO_ROOT
from lle.publish.notebooks import declared_parameters, execute, notebook_paths

PARAMETERS = yaml.safe_load((Path(__file__).parents[1] / "notebook_parameters.yaml").read_text())
NOTEBOOKS = notebook_paths()


def test_every_notebook_has_ci_parameters():
    assert NOTEBOOKS, "no notebooks found"
    assert sorted(PARAMETERS) == sorted(path.name for path in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_parameters_cell_follows_the_install_cell(path):
    notebook = nbformat.read(path, as_version=4)
    install, parameters = [cell for cell in notebook.cells if cell.cell_type == "code"][:2]
    assert "install" in install.metadata.get("tags", []) and "parameters" in parameters.metadata.get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_committed_notebook_is_executed_and_clean(path):
    text = path.read_text()
    assert str(REPO_ROOT) not in text, "absolute path in a committed notebook: run make reproduce"
    assert '"start_time"' not in text and '"end_time"' not in text
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.strip()]
    assert all(cell.execution_count is not None for cell in code), "run make reproduce to commit executed notebooks"
    injected = [cell for cell in notebook.cells if "injected-parameters" in cell.metadata.get("tags", [])]
    assert all(cell.id == "injected-parameters" for cell in injected), "random papermill cell id: run make reproduce"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_executes_with_small_parameters(path, tmp_path):
    parameters = dict(PARAMETERS[path.name] or {})
    declared = declared_parameters(path)
    for name in ("figures_dir", "results_dir", "out_dir"):
        if name in declared:
            parameters[name] = str(tmp_path / name)
    output = execute(path, tmp_path / path.name, parameters)
    notebook = nbformat.read(output, as_version=4)
    errors = [o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    figures = {"figures_dir": tmp_path / "figures_dir", "out_dir": tmp_path / "out_dir" / "figures"}
    for name, directory in figures.items():
        if name in declared and path.name != "08_claims.ipynb":
            assert list(directory.glob("*.png")), "the notebook wrote no figure"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebooks_define_no_functions(path):
    notebook = nbformat.read(path, as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert not re.search(r"^\s*(def|class) |lambda", code, flags=re.M), "move the logic into a tested lle function"


@pytest.mark.slow
def test_rerunning_a_notebook_with_parameters_gives_the_same_file(tmp_path):
    source = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("print(x * 2)"),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    nbformat.write(source, tmp_path / "source.ipynb")
    first = execute(tmp_path / "source.ipynb", tmp_path / "first.ipynb", {"x": 21}).read_bytes()
    second = execute(tmp_path / "source.ipynb", tmp_path / "second.ipynb", {"x": 21}).read_bytes()
    assert b"42" in first
    assert first.replace(b"first.ipynb", b"") == second.replace(b"second.ipynb", b"")


@pytest.mark.slow
def test_a_successful_run_prints_nothing_that_reads_as_an_error(tmp_path, capfd):
    """The kernel listens on IPC sockets (no unencrypted-TCP warning) and is not interrupted when it is shut down
        after the last cell (no "KeyboardInterrupt caught" log), each kernel with sockets of its own (two at once must not
    read each other's messages): make reproduce prints progress only."""
    source = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import time\ntime.sleep(0.2)\nprint('done')")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    nbformat.write(source, tmp_path / "source.ipynb")
    with ThreadPoolExecutor(2) as pool:  # two kernels at once, as make reproduce --jobs 2 starts them
        outputs = list(pool.map(lambda run: execute(tmp_path / "source.ipynb", tmp_path / f"out{run}.ipynb"), (0, 1)))
    assert all(b"done" in output.read_bytes() for output in outputs)
    printed = capfd.readouterr()
    text = printed.out + printed.err
    assert "without encryption" not in text and "KeyboardInterrupt" not in text and "ERROR" not in text, text


def test_the_claims_notebook_waits_for_the_notebooks_whose_tables_it_reads():
    import sys

    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    from run_notebooks import main, prerequisites

    waits = prerequisites(next(p for p in NOTEBOOKS if p.name.startswith("08")), NOTEBOOKS)
    assert {name[:2] for name in waits} == {"02", "03", "04", "05", "06", "07", "09", "10", "11"}
    assert prerequisites(NOTEBOOKS[0], NOTEBOOKS) == set()
    with pytest.raises(SystemExit, match="--jobs must be at least 1"):
        main(["--jobs", "0"])
