#!/usr/bin/env python3
"""modgraph.py: the module graph of shelterd, from its built objects.

A module is one .c file. For daemon/ and lib/ separately, nm tells which
symbols each object defines and which it needs; a needed symbol defined by
another object of the same folder is an edge. The tool prints each module's
outgoing edges, every call cycle (a strongly connected component of more
than one module) and every C file over the size limit.

Usage: modgraph.py [--build DIR] [--max-lines N] [SRCDIR]
Exit status: 0 clean, 1 on any cycle or oversized file, 2 on a usage or
nm failure.
"""

import argparse
import os
import subprocess
import sys

FOLDERS = ("daemon", "lib")


def modgraph_symbols(obj):
    """(defined, undefined) external symbol names of one object file."""
    try:
        out = subprocess.run(
            ["nm", "-P", obj], check=True, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit("modgraph: nm %s: %s" % (obj, e))
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            undefined.add(name)
        elif kind.isupper():
            # Upper case: external (T text, D/B/R data, C common ...).
            defined.add(name)
    return defined, undefined


def modgraph_edges(objdir, srcdir):
    """{module: set of modules it uses} for the objects in objdir whose
    source is still in srcdir (a removed file leaves a stale object)."""
    if not os.path.isdir(objdir):
        sys.exit("modgraph: %s: no objects (run make first)" % objdir)
    objs = sorted(
        f
        for f in os.listdir(objdir)
        if f.endswith(".o") and os.path.exists(os.path.join(srcdir, f[:-2] + ".c"))
    )
    defs, needs = {}, {}
    for f in objs:
        mod = f[:-2] + ".c"
        defs[mod], needs[mod] = modgraph_symbols(os.path.join(objdir, f))
    owner = {}
    for mod, names in defs.items():
        for n in names:
            owner.setdefault(n, mod)
    edges = {}
    for mod in defs:
        edges[mod] = {
            owner[n] for n in needs[mod] if n in owner and owner[n] != mod
        }
    return edges


def modgraph_sccs(edges):
    """The strongly connected components of edges (Tarjan), as sorted lists."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(out)


def modgraph_long_files(srcdir, limit):
    """(path, lines) of every C source or header over limit lines."""
    long_files = []
    for folder in FOLDERS + ("tools", "include/shelter"):
        d = os.path.join(srcdir, folder)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if not f.endswith((".c", ".h")):
                continue
            with open(os.path.join(d, f), encoding="utf-8") as fh:
                n = sum(1 for _ in fh)
            if n > limit:
                long_files.append((os.path.join(folder, f), n))
    return long_files


def modgraph_main():
    ap = argparse.ArgumentParser(description="shelterd module graph")
    ap.add_argument("--build", default="build", help="build folder")
    ap.add_argument("--max-lines", type=int, default=800)
    ap.add_argument("srcdir", nargs="?", default=".")
    args = ap.parse_args()

    bad = False
    for folder in FOLDERS:
        edges = modgraph_edges(
            os.path.join(args.build, folder), os.path.join(args.srcdir, folder)
        )
        print("%s/" % folder)
        for mod in sorted(edges):
            print("  %s -> %s" % (mod, " ".join(sorted(edges[mod])) or "-"))
        cycles = [c for c in modgraph_sccs(edges) if len(c) > 1]
        for c in cycles:
            print("  cycle: %s" % " ".join(c))
        if not cycles:
            print("  no cycles")
        bad = bad or bool(cycles)
    for path, n in modgraph_long_files(args.srcdir, args.max_lines):
        print("too long: %s: %d lines (limit %d)" % (path, n, args.max_lines))
        bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(modgraph_main())
