"""The server binary as `make run` builds it is the one the tests built.

`cargo test -p app -p server` builds the `server` binary with the features
of every dependency unified with the tests' dev-dependencies; `cargo build
--bin server` (make run, make bench, a package) without them. Where the two
differ, a feature the binary lacks could hide behind one a test brought in
(tokio's `process` once did), and only a second compile of the binary would
tell. This compares, for every crate the binary depends on, the features
`cargo tree` resolves each way: when they are the same, the binary compiled
in the test build is the binary. A difference is mended by enabling the
feature in the binary's own dependencies (server/Cargo.toml, "pinned").
"""
import subprocess
import sys
from collections import defaultdict


def resolved(*args):
    out = subprocess.run(
        ["cargo", "tree", "--prefix", "none", "-f", "{p}|{f}", *args],
        check=True, capture_output=True, text=True,
    ).stdout
    crates = defaultdict(set)
    for line in out.splitlines():
        if "|" not in line:
            continue
        package, features = line.split("|", 1)
        package = package.replace("(proc-macro)", "").split(" (")[0].strip()
        features = features.replace("(*)", "").strip()
        crates[package].add(features)
    return crates


binary = resolved("-p", "server", "-e", "normal,build")
tested = resolved("-p", "app", "-p", "server")
differ = {p: (binary[p], tested[p]) for p in binary if binary[p] != tested.get(p)}
for package, (alone, with_tests) in sorted(differ.items()):
    print(f"{package}: binary {sorted(alone)} / tests {sorted(with_tests)}")
if differ:
    sys.exit(f"{len(differ)} crates are built with other features for the tests than for the binary")
print(f"the binary's {len(binary)} crates have the same features in the test build")
