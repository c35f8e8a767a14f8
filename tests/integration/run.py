#!/usr/bin/env python3
"""run.py: run the integration tests against a real redis-server and a real
shelterd.

    python3 tests/integration/run.py [--build DIR] [-k SUBSTRING] [-j N]
                                     [files...]

Discovers tests/integration/test_*.py (or the files given), imports each and
calls every top-level function named test_* without arguments, in definition
order. Prints "ok - file::name (0.4s)" or "not ok - file::name" with the
traceback and the tail of the daemon logs of that test, and last exactly
"N passed, M failed". Exit status 1 when any test failed (or none ran).

Tests run on -j workers (default 2): every test has its own processes, ports
and temp dirs, so they do not interfere.
"""

import argparse
import glob
import importlib.util
import os
import queue
import signal
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def resolve(name):
    """A test file given as a path, a file name or a bare module name."""
    if os.path.exists(name):
        return name
    if not name.endswith(".py"):
        name += ".py"
    return os.path.join(HERE, os.path.basename(name))


def load_tests(files, keyword):
    """[(label, function)] in file order, then definition order."""
    tests = []
    for path in files:
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        funcs = [f for n, f in vars(mod).items()
                 if n.startswith("test_") and callable(f)
                 and getattr(f, "__module__", None) == name]
        funcs.sort(key=lambda f: f.__code__.co_firstlineno)
        for f in funcs:
            label = "%s::%s" % (os.path.basename(path), f.__name__)
            if keyword and keyword not in label:
                continue
            tests.append((label, f))
    return tests


def run_one(label, fn, harness):
    harness.begin_test()
    t0 = time.monotonic()
    try:
        fn()
        return True, time.monotonic() - t0, ""
    except harness.Skip as e:
        return True, time.monotonic() - t0, "# SKIP %s" % e
    except BaseException as e:  # noqa: BLE001 - report everything
        if isinstance(e, KeyboardInterrupt):
            raise
        out = [traceback.format_exc().rstrip()]
        for name, tail in harness.test_logs():
            out.append("--- tail of %s log ---" % name)
            out.append(tail)
        return False, time.monotonic() - t0, "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--build", default="build",
                    help="build directory with shelterd (default: build)")
    ap.add_argument("-k", dest="keyword", default=None,
                    help="only tests whose file::name contains this")
    ap.add_argument("-j", dest="jobs", type=int, default=2,
                    help="parallel workers (default 2)")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()

    build = args.build
    if not os.path.isabs(build):
        build = os.path.abspath(build)
        if not os.path.isdir(build):
            build = os.path.join(ROOT, args.build)
    os.environ["SHELTERD_BUILD"] = build
    sys.path.insert(0, HERE)
    import harness  # noqa: E402 - after SHELTERD_BUILD is set

    files = [resolve(f) for f in args.files] or sorted(
        glob.glob(os.path.join(HERE, "test_*.py")))
    try:
        tests = load_tests(files, args.keyword)
    except Exception:
        traceback.print_exc()
        print("0 passed, 1 failed")
        return 1

    def on_signal(signum, frame):
        harness.cleanup_all()
        print("interrupted")
        sys.stdout.flush()
        os._exit(130)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    todo = queue.Queue()
    for i, t in enumerate(tests):
        todo.put((i, t))
    results = {}
    print_lock = threading.Lock()
    counts = {"passed": 0, "failed": 0}

    def worker():
        while True:
            try:
                i, (label, fn) = todo.get_nowait()
            except queue.Empty:
                return
            ok, secs, detail = run_one(label, fn, harness)
            with print_lock:
                results[i] = ok
                if ok:
                    counts["passed"] += 1
                    print("ok - %s (%.1fs)%s" % (label, secs, (
                        " " + detail) if detail else ""))
                else:
                    counts["failed"] += 1
                    print("not ok - %s (%.1fs)" % (label, secs))
                    for line in detail.splitlines():
                        print("    " + line)
                sys.stdout.flush()

    threads = [threading.Thread(target=worker, daemon=True)
               for _ in range(max(1, args.jobs))]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(0.2)

    harness.cleanup_all()
    print("%d passed, %d failed" % (counts["passed"], counts["failed"]))
    sys.stdout.flush()
    return 0 if counts["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
