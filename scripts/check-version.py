#!/usr/bin/env python3
"""keyd's version comes from one place: `project(keyd VERSION x.y.z)` in CMakeLists.txt. The binary
gets it at build time (KEYD_VERSION); this check keeps every copy a reader or a cluster sees equal
to it: the image tags `…/keyd:x.y.z` in configs/, manifests/ and tests/golden/, and the newest
release heading of CHANGELOG.md ("## x.y.z" or "## Unreleased" above it).

Usage: scripts/check-version.py [REPO_ROOT]    Exits 1 naming each file and line that disagrees.
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
match = re.search(r"project\(keyd VERSION (\d+\.\d+\.\d+)", (root / "CMakeLists.txt").read_text())
if not match:
    sys.exit("check-version: no `project(keyd VERSION x.y.z)` in CMakeLists.txt")
version = match.group(1)
bad = []
tag = re.compile(r"/keyd:(\d+\.\d+\.\d+[^\s\"'#]*)")
for folder in ("configs", "manifests", "tests/golden"):
    for path in sorted((root / folder).rglob("*.yaml")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for found in tag.findall(line):
                if found != version:
                    bad.append(f"{path.relative_to(root)}:{n}: image tag keyd:{found}, the version is {version}")
changelog = root / "CHANGELOG.md"
releases = re.findall(r"^## (\S+)", changelog.read_text(), re.M) if changelog.exists() else []
released = [r for r in releases if r.lower() != "unreleased"]
if not released or released[0] != version:
    bad.append(f"CHANGELOG.md: newest release heading is {released[0] if released else 'missing'}, "
               f"the version is {version}")
for line in bad:
    print(line)
if bad:
    sys.exit(1)
print(f"check-version: {version} everywhere")
