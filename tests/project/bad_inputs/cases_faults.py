"""Faults, each exercised for real by tests/store/test_run_folders.py: (what happened, what the user is told)."""

FAULT_CASES = [
    (
        "`lle run` killed (SIGKILL) while pooling, after training, while staging or while moving the score files into "
        "place",
        "the same command recomputes what is missing, reusing the cached work, and writes the bytes an "
        "uninterrupted run writes; until then the run is incomplete and never reported as done",
    ),
    (
        "`lle evaluate` on a run killed while its files were written",
        "`CacheMismatchError` or `FileNotFoundError`: "
        "the run is incomplete; rerun the lle run command that made it (the same --out)",
    ),
    (
        "a second `lle run` into the same --out, run and dataset while the first runs",
        "`RunInProgressError` naming the "
        "holder (process, host, start time, command); the first run's folder stays whole",
    ),
    (
        "validation and test scores from two different runs in one folder",
        "`CacheMismatchError`: they come from different runs (both run keys); rerun with --force",
    ),
    (
        "an --out on a disk with less free space than the run writes",
        "`DiskFullError` before any work: the folder, the free space and the space needed",
    ),
    (
        "the disk fills while the score files are written",
        "`DiskFullError` naming the folder and the space needed; the "
        "partial files are removed and the folder is left as it was",
    ),
]
