#!/usr/bin/env python3
"""Writes the notices of the third-party crates linked into pinpoint-iam-wizard's binary (issue 21).

Usage: scripts/third_party_licenses.py TARGET OUTPUT

A binary distribution of MIT, Apache-2.0, BSD or ISC code must carry those crates' notices: this lists every crate
the binary links for TARGET with its version, licence expression, authors and repository, and the text of each
licence file its source holds (LICENSE*, LICENCE*, COPYING*, NOTICE*, UNLICENSE*, COPYRIGHT*, the manifest's
license-file, and the files of a top-level LICENSES/ folder), and says so when a crate holds none. Identical texts
are written once and referred to by number.

Which crates: `cargo tree -e normal,no-proc-macro --target TARGET`, i.e. the normal dependencies as Cargo resolves
their features for this build, without procedural macros (they run in the compiler and are not linked) nor build
dependencies. `cargo metadata --locked --filter-platform TARGET` gives each crate's licence and source folder; its
resolve graph, which unifies features with the dev-dependencies, holds a few dozen crates more that the binary
never links (e.g. termwiz, ring): tests/package.rs checks that the list is within it.

Python's standard library only: a maintained tool such as cargo-about would do this too, but it takes 10 minutes
or more to build on a CI runner for every release, for what is a walk over cargo's own answers.
"""

import hashlib
import json
import os
import subprocess
import sys
import textwrap

NAME = "pinpoint-iam-wizard"
PREFIXES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "UNLICENSE", "COPYRIGHT")
NONE_FOUND = "no licence file found in the crate's source"


def cargo(*args):
    return subprocess.run(["cargo", *args], check=True, stdout=subprocess.PIPE, text=True).stdout


def linked(target):
    """(name, version) of every crate linked into the binary for target, the package itself excluded."""
    out = cargo(
        "tree", "--locked", "-e", "normal,no-proc-macro", "--target", target, "--prefix", "none", "-f", "{p}",
        "--package", NAME,
    )
    crates = set()
    for line in out.splitlines():
        words = line.split()
        if len(words) >= 2 and words[1].startswith("v"):
            crates.add((words[0], words[1][1:]))
    crates.discard(next((c for c in crates if c[0] == NAME), None))
    return crates


def licence_files(package):
    """The licence files of a crate's source folder, as (relative path, text), sorted by path."""
    root = os.path.dirname(package["manifest_path"])
    paths = set()
    for entry in os.listdir(root):
        full = os.path.join(root, entry)
        if entry.upper().startswith(PREFIXES) or entry.upper() == "LICENSES":
            if os.path.isfile(full):
                paths.add(entry)
            elif os.path.isdir(full):
                paths.update(os.path.join(entry, f) for f in os.listdir(full) if os.path.isfile(os.path.join(full, f)))
    if package.get("license_file"):
        declared = os.path.normpath(package["license_file"])
        if os.path.isfile(os.path.join(root, declared)):
            paths.add(declared)
    files = []
    for rel in sorted(paths):
        with open(os.path.join(root, rel), "rb") as f:
            text = f.read().decode("utf-8", errors="replace").replace("\r\n", "\n").rstrip() + "\n"
        files.append((rel, text))
    return files


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: scripts/third_party_licenses.py TARGET OUTPUT")
    target, output = sys.argv[1:]
    metadata = json.loads(cargo("metadata", "--locked", "--format-version", "1", "--filter-platform", target))
    by_key = {(p["name"], p["version"]): p for p in metadata["packages"]}
    root = next(p for p in metadata["packages"] if p["name"] == NAME)
    crates = sorted(linked(target))
    missing = [c for c in crates if c not in by_key]
    if missing:
        sys.exit(f"third_party_licenses: cargo tree names crates cargo metadata does not: {missing}")

    texts = {}  # sha256 -> (number, text, [where])
    entries = []
    for name, version in crates:
        package = by_key[(name, version)]
        refs = []
        for rel, text in licence_files(package):
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest not in texts:
                texts[digest] = (len(texts) + 1, text, [])
            texts[digest][2].append(f"{name} {version} {rel}")
            refs.append(f"[{texts[digest][0]}] {rel}")
        entries.append((package, refs))

    lines = [
        f"Third-party licences of {NAME} {root['version']} ({target})",
        "",
        f"{NAME} links the {len(entries)} crates below into its binary. Each is listed with its version, the",
        "licence expression its manifest declares and the licence files its published source holds; the texts",
        "follow the list, each once, numbered. (pinpoint-iam-wizard's own licences: LICENSE-MIT, LICENSE-APACHE.)",
        "",
        "Crates",
        "======",
        "",
    ]
    for package, refs in entries:
        lines.append(f"{package['name']} {package['version']}")
        lines.append(f"  licence: {package.get('license') or '(no licence expression in its manifest)'}")
        if package.get("authors"):
            lines.append(f"  authors: {', '.join(package['authors'])}")
        if package.get("repository"):
            lines.append(f"  repository: {package['repository']}")
        lines.append(f"  texts: {', '.join(refs)}" if refs else f"  texts: {NONE_FOUND}")
    lines += ["", "Texts", "=====", ""]
    for number, text, where in sorted(texts.values()):
        header = f"-------- [{number}] {'; '.join(where)}"
        lines += textwrap.wrap(header, width=116, subsequent_indent="    ", break_on_hyphens=False)
        lines.append("")
        lines.append(text)
    with open(output, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    without = [f"{p['name']} {p['version']}" for p, refs in entries if not refs]
    print(
        f"{output}: {len(entries)} crates, {len(texts)} distinct texts, {os.path.getsize(output)} bytes"
        + (f"; no licence file in: {', '.join(without)}" if without else ""),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
