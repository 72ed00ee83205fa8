"""Execute every notebook in place with papermill (make reproduce), or those named by --only; --jobs N runs up to N
at once (separate processes), a notebook that reads another's tables only after that one has finished."""

import argparse
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from lle.publish.notebooks import declared_parameters, execute, notebook_paths


def chosen_notebooks(only, paths) -> list:
    """The notebooks whose names start with one of ``only`` (None: all); a prefix that matches none is an error."""
    if only is None:
        return list(paths)
    if not only:
        raise SystemExit(
            "--only needs at least one notebook name prefix, e.g. --only 00 02; leave --only out to run every notebook"
        )
    names = [path.name for path in paths]
    unmatched = [prefix for prefix in only if not any(name.startswith(prefix) for name in names)]
    if unmatched:
        raise SystemExit(f"--only {' '.join(unmatched)} matches no notebook; the notebooks are: {', '.join(names)}")
    return [path for path in paths if any(path.name.startswith(prefix) for prefix in only)]


# Notebook -> the notebooks whose written tables it reads (prefixes); the others only read the cached scores.
READS_TABLES_OF = {"08": ("02", "03", "04", "05", "06", "07", "09", "10", "11")}  # 08 also gathers 09-11's claims


def prerequisites(path, chosen) -> set:
    """The chosen notebooks that ``path`` must wait for."""
    wanted = READS_TABLES_OF.get(path.name[:2], ())
    return {other.name for other in chosen if other.name[:2] in wanted}


def run_one(path, recompute: bool) -> float:
    parameters = {"recompute": recompute} if "recompute" in declared_parameters(path) else {}
    start = time.perf_counter()
    execute(path, path, parameters)
    return time.perf_counter() - start


def run_all(chosen, recompute: bool, jobs: int) -> None:
    """Run ``chosen`` with up to ``jobs`` at once, in order, each after its prerequisites."""
    waiting, done, running = list(chosen), set(), {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        while waiting or running:
            for path in [p for p in waiting if prerequisites(p, chosen) <= done][: jobs - len(running)]:
                waiting.remove(path)
                print(f"executing {path.name}", flush=True)
                running[pool.submit(run_one, path, recompute)] = path
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                path = running.pop(future)
                print(f"  {path.name} done in {future.result():.1f} s", flush=True)  # a failure stops the run here
                done.add(path.name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--recompute", type=int, choices=(0, 1), default=0, help="1: rerun training and per-layer scores"
    )
    parser.add_argument("--only", nargs="*", default=None, help="notebook name prefixes to run, e.g. 00 02")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at once (default 1; make reproduce: 2)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        raise SystemExit(f"--jobs must be at least 1, got {args.jobs}")
    start = time.perf_counter()
    run_all(chosen_notebooks(args.only, notebook_paths()), bool(args.recompute), args.jobs)
    print(f"all done in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
