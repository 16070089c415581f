#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 60) in release mode, one after the other:
#   scripts/fuzz.sh 600
# Targets: the JSONL loader (tprog-tasks, examples/fuzz_jsonl.rs) and the program loader and
# interpreter (tprog-program, examples/fuzz_program.rs). Each prints its executions and panics;
# a panicking case is written to $TMPDIR (see the example's header) and this script exits 1.
# Extra arguments (e.g. --seed 7) are passed to every target.
set -euo pipefail

seconds="${1:-60}"
shift || true
cd "$(dirname "$0")/.."

# Release speed, but with the checks a debug build has: an arithmetic overflow is a panic, as
# in `cargo test`, not a silent wrap.
export CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true
export CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true

status=0
for target in "tprog-tasks fuzz_jsonl" "tprog-program fuzz_program"; do
    read -r package example <<<"$target"
    cargo build --quiet --release -p "$package" --example "$example"
    echo "== $example: $seconds s"
    "target/release/examples/$example" --seconds "$seconds" "$@" || status=1
done
exit "$status"
