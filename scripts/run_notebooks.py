"""Execute every notebook in place with papermill (make reproduce), or those named by --only."""
import argparse
import sys
import time

from lle.experiments.notebooks import declared_parameters, execute, notebook_paths


def chosen_notebooks(only, paths) -> list:
    """The notebooks whose names start with one of ``only`` (None: all); a prefix that matches none is an error."""
    if only is None:
        return list(paths)
    if not only:
        raise SystemExit("--only needs at least one notebook name prefix, e.g. --only 00 02; leave --only out to run "
                         "every notebook")
    names = [path.name for path in paths]
    unmatched = [prefix for prefix in only if not any(name.startswith(prefix) for name in names)]
    if unmatched:
        raise SystemExit(f"--only {' '.join(unmatched)} matches no notebook; the notebooks are: {', '.join(names)}")
    return [path for path in paths if any(path.name.startswith(prefix) for prefix in only)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recompute", type=int, choices=(0, 1), default=0,
                        help="1: rerun training and per-layer scores")
    parser.add_argument("--only", nargs="*", default=None, help="notebook name prefixes to run, e.g. 00 02")
    args = parser.parse_args(argv)
    for path in chosen_notebooks(args.only, notebook_paths()):
        parameters = {"recompute": bool(args.recompute)} if "recompute" in declared_parameters(path) else {}
        start = time.perf_counter()
        print(f"executing {path.name} {parameters or ''}", flush=True)
        execute(path, path, parameters)
        print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
