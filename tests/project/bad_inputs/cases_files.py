"""Bad files and environment: (id, what the user did, exception, regexes); tests/project/bad_inputs/test_files.py
sets each case up."""

from lle.integrity import CacheMismatchError
from lle.publish.notebooks import NotebookFailedError

# Cases that need files or the environment: (id, what the user did, exception, regexes); the call is a fixture.
FILE_CASES = [
    (
        "data-dir-env-missing",
        "LLE_DATA_DIR set to a folder that does not exist",
        FileNotFoundError,
        ["LLE_DATA_DIR", "unset it"],
    ),
    (
        "data-dir-argument-missing",
        "data_dir= a folder that does not exist",
        FileNotFoundError,
        ["data_dir", "leave data_dir out"],
    ),
    ("truncated-data-file", "a truncated CSV under LLE_DATA_DIR", ValueError, ["checksum", "replace it in /"]),
    (
        "offline-no-data",
        "no data directory, offline, source='auto'",
        FileNotFoundError,
        ["Hugging Face Hub cannot be reached", "LLE_DATA_DIR"],
    ),
    (
        "corrupt-sidecar",
        "a score file's sidecar that is not JSON",
        CacheMismatchError,
        ["sidecar", "lle run", "recomputes a run whose files are missing"],
    ),
    (
        "truncated-scores",
        "a truncated score file",
        CacheMismatchError,
        ["checksum", "lle run", "recomputes a run whose files are missing"],
    ),
    (
        "missing-scores",
        "a deleted score file",
        FileNotFoundError,
        ["missing", "lle run", "recomputes a run whose files are missing"],
    ),
    (
        "missing-split",
        "load_pairs on a run whose test split was deleted",
        FileNotFoundError,
        ["is requested", "lle run", "recomputes a run whose files are missing"],
    ),
    (
        "notebook-parameter",
        "a parameter the notebook does not declare",
        ValueError,
        ["no parameters \\['y'\\]", "its parameters: x = 1"],
    ),
    (
        "notebook-parameter-type",
        "a float where the notebook's parameter is a whole number",
        TypeError,
        ["parameter x = 2.5 \\(float\\), but it takes a int like its default 1"],
    ),
    (
        "notebook-fails",
        "a notebook whose cell raises",
        NotebookFailedError,
        [r"failed in the cell shown as In \[3\]", "left as it was"],
    ),
]
