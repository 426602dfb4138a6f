#!/usr/bin/env python3
"""Writes the package's copyright file and the licences of the crates built into the programs.

    python3 .ci/copyright.py STAGED_FOLDER TARGET_TRIPLE

.ci/package runs it. STAGED_FOLDER/copyright is Debian's machine-readable copyright file: this
project's licence (MIT or Apache-2.0) with both texts. STAGED_FOLDER/third-party-licenses.txt.gz
names every crate linked into server-app and client-app (their normal dependencies on this
target, from `cargo metadata`), its licence, and the licence files it ships: MIT's and BSD's
copyright lines must travel with the programs. A text shipped by several crates is written once.
"""

import gzip
import hashlib
import json
import os
import subprocess
import sys

PROGRAMS = ("server-app", "client-app")
OWNER = "2026 The ServerSocket maintainers"
LICENCE_FILE_STARTS = ("license", "licence", "copying", "notice", "copyright", "unlicense")

MIT_TEXT = """Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE."""


def paragraph_text(text):
    """`text` as the continuation lines of a copyright file's field: indented, blank lines as ' .'."""
    return "\n".join(" " + line if line.strip() else " ." for line in text.strip("\n").splitlines())


def bundled_crates(triple):
    """The packages linked into the programs: their normal dependencies, transitively."""
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", triple],
            check=True,
            capture_output=True,
        ).stdout
    )
    packages = {package["id"]: package for package in metadata["packages"]}
    members = set(metadata["workspace_members"])
    nodes = {node["id"]: node for node in metadata["resolve"]["nodes"]}
    stack = [pid for pid in members if packages[pid]["name"] in PROGRAMS]
    seen = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for dep in nodes[pid]["deps"]:
            # Build scripts and dev-dependencies are not in the programs.
            if any(kind["kind"] is None for kind in dep["dep_kinds"]):
                stack.append(dep["pkg"])
    return sorted((packages[pid] for pid in seen - members), key=lambda p: (p["name"], p["version"]))


def licence_files(package):
    """The licence files a crate ships at its top, and the one its manifest names."""
    folder = os.path.dirname(package["manifest_path"])
    names = sorted(
        name
        for name in os.listdir(folder)
        if name.lower().startswith(LICENCE_FILE_STARTS) and os.path.isfile(os.path.join(folder, name))
    )
    named = package.get("license_file")
    if named and os.path.basename(named) not in names and os.path.isfile(os.path.join(folder, named)):
        names.append(named)
    return [(name, os.path.join(folder, name)) for name in names]


def third_party(crates):
    """The text of third-party-licenses.txt."""
    out = [
        "The crates built into server-app and client-app (from crates.io), each with its licence",
        "and the licence files it ships. A text shipped by several crates is written out once,",
        f"where it first appears. {len(crates)} crates.",
        "",
    ]
    first_seen = {}
    for crate in crates:
        title = f"{crate['name']} {crate['version']}"
        out.append(f"==== {title}: {crate.get('license') or 'no licence named'} ====")
        files = licence_files(crate)
        if not files:
            out.append("(the crate ships no licence file; its licence is the one named above)")
        for name, path in files:
            with open(path, "rb") as file:
                text = file.read().decode("utf-8", errors="replace").strip("\n")
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest in first_seen:
                out.append(f"--- {name}: the same text as {first_seen[digest]} above ---")
                continue
            first_seen[digest] = f"{title}'s {name}"
            out.append(f"--- {name} ---")
            out.append(text)
        out.append("")
    return "\n".join(out) + "\n"


def copyright_file(crate_count):
    """Debian's machine-readable copyright file for the package."""
    return f"""Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: serversocket
Comment: The programs are built from this project's crates and from {crate_count} crates of
 crates.io linked into them; /usr/share/doc/serversocket/third-party-licenses.txt.gz names
 each with its licence and the licence files it ships.

Files: *
Copyright: {OWNER}
License: MIT or Apache-2.0

License: MIT
 Copyright (c) {OWNER}
 .
{paragraph_text(MIT_TEXT)}

License: Apache-2.0
 On Debian systems, the full text of the Apache License, Version 2.0, is in
 /usr/share/common-licenses/Apache-2.0.
"""


def main():
    staged, triple = sys.argv[1], sys.argv[2]
    crates = bundled_crates(triple)
    with open(os.path.join(staged, "copyright"), "w", encoding="utf-8") as file:
        file.write(copyright_file(len(crates)))
    # mtime 0: the same crates make the same bytes.
    with open(os.path.join(staged, "third-party-licenses.txt.gz"), "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as file:
            file.write(third_party(crates).encode("utf-8"))


if __name__ == "__main__":
    main()
