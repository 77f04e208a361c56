#!/usr/bin/env python3
"""Check that every repository path a document names exists.

Usage: scripts/check-doc-paths.py [DOC...]   (default: docs/architecture.md)

A path is a word starting with keyd/, include/, tests/, docs/ or scripts/, or a file named from its
layer (domain/scan_internal.hpp, adapters/scan/scan_git.cpp), which must exist under keyd/ or
include/keyd/. Braces expand
(keyd/adapters/{os,scan}), <placeholder> and * match any one name, and a path without an
extension may name a module: keyd/app/swarm_ops matches keyd/app/swarm_ops.{hpp,cpp}.
Exits 1 and lists the missing paths when one does not exist.
"""
import glob
import itertools
import os
import re
import sys

PATH = re.compile(r"(?<![\w/.-])(?:keyd|include|tests|docs|scripts)/[\w./{},*<>-]*")
LAYER_FILE = re.compile(r"(?<![\w/.-])(?:common|domain|ports|config|adapters|app|server|cli)/[\w/{},-]*\.[hc]pp\b")


def expand_braces(text):
    m = re.search(r"\{([^{}]*)\}", text)
    if not m:
        return [text]
    return list(itertools.chain.from_iterable(
        expand_braces(text[:m.start()] + alt + text[m.end():]) for alt in m.group(1).split(",")))


def exists(path):
    pattern = re.sub(r"<[^>]*>", "*", path)
    if glob.glob(pattern):
        return True
    stem = pattern.rstrip("/")
    return not os.path.splitext(os.path.basename(stem))[1] and bool(glob.glob(stem + ".[hc]pp"))


def main(docs):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    os.chdir(root)
    missing = []
    for doc in docs:
        with open(doc, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                for word in PATH.findall(line):
                    for path in expand_braces(word.rstrip(".,")):
                        if not exists(path):
                            missing.append(f"{doc}:{number}: {path}")
                for word in LAYER_FILE.findall(line):
                    for path in expand_braces(word):
                        if not (exists("keyd/" + path) or exists("include/keyd/" + path)):
                            missing.append(f"{doc}:{number}: {path} (neither keyd/ nor include/keyd/)")
    for m in missing:
        print(m)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["docs/architecture.md"]))
