"""Execute the notebooks with papermill and keep their committed form clean.

Used by ``make reproduce`` (scripts/run_notebooks.py) and by the test-suite, so both run notebooks
the same way. The committed notebooks carry their outputs but no timestamps and no absolute paths.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat

from lle.integrity import atomic_path
from lle.paths import REPO_ROOT, repository_url

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
_TIMING_KEYS = ("start_time", "end_time", "duration")
INSTALL_TAG = "install"


def install_cell_source() -> str:
    """Every notebook's first code cell: a no-op where ``lle`` is importable (a checkout, Binder); on Colab it
    installs the package from the repository address in pyproject.toml, and the package fetches the cached results
    it reads on first use (:func:`lle.paths.ensure_repository`)."""
    return (
        "# Where the package is missing (Colab), install it; it fetches the cached results on first use.\n"
        "import importlib.util\n\n"
        'if importlib.util.find_spec("lle") is None:\n'
        f'    %pip install --quiet "lle[notebooks] @ git+{repository_url()}"'
    )


def refresh_install_cell(notebook) -> None:
    """Make the notebook's first code cell the current install cell (tagged ``install``), inserting it before the
    first code cell if it has none."""
    code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    first = notebook.cells[code[0]] if code else None
    if first is not None and INSTALL_TAG in first.metadata.get("tags", []):
        first.source = install_cell_source()
        return
    cell = nbformat.v4.new_code_cell(install_cell_source(), metadata={"tags": [INSTALL_TAG]})
    cell.id = INSTALL_TAG
    notebook.cells.insert(code[0] if code else len(notebook.cells), cell)


def notebook_paths() -> list[Path]:
    """Notebooks in execution order (their file names start with a number)."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def declared_parameters(path: Path) -> set[str]:
    """The names in the notebook's ``parameters`` cell."""
    import papermill

    return set(papermill.inspect_notebook(str(path)))


def check_parameters(path: Path, parameters: dict) -> None:
    """Refuse parameters the notebook does not declare (listing those it does, with their defaults) and values whose
    type differs from the default's: a whole number where the default is one, a number where it is a number, a list
    or text where it is one (a None default takes anything its comment allows)."""
    import ast

    import papermill

    declared = papermill.inspect_notebook(str(path))
    listing = "; ".join(
        f"{name} = {spec['default']} ({spec['help']})" if spec["help"] else f"{name} = {spec['default']}"
        for name, spec in declared.items()
    )
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ValueError(f"{path.name} has no parameters {unknown}; its parameters: {listing}")
    for name, value in parameters.items():
        try:
            default = ast.literal_eval(declared[name]["default"])
        except (ValueError, SyntaxError):
            continue  # a default computed by an expression: nothing to compare with
        if default is None or value is None:
            continue
        expected = (
            bool
            if isinstance(default, bool)
            else (int if isinstance(default, int) else (int, float) if isinstance(default, float) else type(default))
        )
        if isinstance(value, bool) != isinstance(default, bool) or not isinstance(value, expected):
            raise TypeError(
                f"{path.name}: parameter {name} = {value!r} ({type(value).__name__}), but it takes a "
                f"{type(default).__name__} like its default {declared[name]['default']}"
                + (f" ({declared[name]['help']})" if declared[name]["help"] else "")
            )


def quiet_kernel_manager():
    """The kernel manager papermill starts each notebook's kernel with: its sockets are local IPC files, not TCP
    ports (nothing listens on the network, and the kernel has no unencrypted-TCP warning to print), and its shutdown
    after the last cell skips the SIGINT that jupyter_client sends first (an idle kernel only logs
    "KeyboardInterrupt caught" for it)."""
    import shutil
    import tempfile

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    class QuietKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)
        _finished = False

        @default("ip")
        def _socket_prefix(self) -> str:
            # A folder of its own per kernel: kernels started at once (make reproduce --jobs 2) would otherwise
            # share jupyter_client's default prefix "kernel-ipc" in the working folder and read each other's sockets.
            self._socket_folder = tempfile.mkdtemp(prefix="lle-kernel-")
            return os.path.join(self._socket_folder, "kernel")

        async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
            self._finished = True
            await super().shutdown_kernel(now=now, restart=restart)
            folder = getattr(self, "_socket_folder", None)
            if folder and not restart:
                shutil.rmtree(folder, ignore_errors=True)

        async def _async_interrupt_kernel(self) -> None:
            if not self._finished:
                await super()._async_interrupt_kernel()

    return QuietKernelManager


def execute(path: Path, output: Path, parameters: dict | None = None) -> Path:
    """Run ``path`` with papermill (only parameters it declares), write ``output``, sanitized."""
    import papermill

    parameters = parameters or {}
    check_parameters(path, parameters)
    env_backup = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    try:
        with atomic_path(output) as temporary:  # a failed run never replaces the committed notebook
            try:
                papermill.execute_notebook(
                    str(path),
                    str(temporary),
                    parameters=parameters,
                    cwd=str(NOTEBOOK_DIR),
                    kernel_name="python3",
                    progress_bar=False,
                    kernel_manager_class=quiet_kernel_manager(),
                )
            except papermill.PapermillExecutionError as error:
                raise NotebookFailedError(
                    f"{path.name} failed in the cell shown as In [{error.exec_count}] "
                    f"({error.ename}: {error.evalue}); {output} was left as it was"
                ) from error
            sanitize(temporary, name=Path(output).name)
    finally:
        if env_backup is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_backup
    return output


class NotebookFailedError(RuntimeError):
    """A notebook raised while executing; the output file was not touched."""


def sanitize(path: Path, *, name: str | None = None) -> None:
    """Drop timestamps and durations, fix random cell ids, replace absolute repository paths by relative ones and
    widget outputs by a fixed note; ``name`` is the notebook's final file name (recorded instead of a temporary one)."""
    notebook = nbformat.read(path, as_version=4)
    name = name or Path(path).name
    for key in _TIMING_KEYS:
        notebook.metadata.get("papermill", {}).pop(key, None)
    notebook.metadata.get("papermill", {}).update(input_path=name, output_path=name)
    for cell in notebook.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill draws a random id per run; reruns must not differ
        for key in _TIMING_KEYS:
            cell.metadata.get("papermill", {}).pop(key, None)
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            _strip_paths(output)
            _static_widget(output)
    notebook.metadata.pop("widgets", None)  # widget state carries random model ids; it is rebuilt in a live kernel
    refresh_install_cell(notebook)
    nbformat.write(notebook, path)


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "(interactive controls: they appear when this cell runs in a live kernel — JupyterLab, Binder or Colab)"


def _static_widget(output) -> None:
    """A widget's output becomes a fixed note: its random model id would make every rerun differ."""
    data = output.get("data", {})
    if WIDGET_VIEW in data:
        data.pop(WIDGET_VIEW)
        data["text/plain"] = WIDGET_NOTE


_ABSOLUTE = re.compile(re.escape(str(REPO_ROOT)) + r"/?")


def _strip_paths(node):
    """Recursively rewrite strings in an output (text, data, traceback)."""
    if isinstance(node, dict):
        for key, value in node.items():
            node[key] = _strip_paths(value)
        return node
    if isinstance(node, list):
        return [_strip_paths(item) for item in node]
    if isinstance(node, str):
        return _ABSOLUTE.sub("", node)
    return node
