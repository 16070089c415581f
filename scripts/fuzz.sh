#!/usr/bin/env bash
# Runs every fuzz target of tprog-fuzz (program, jsonl, rundir, pt) for SECONDS each (default
# 60) in release mode, one after the other:
#   scripts/fuzz.sh 600
# Each target prints its executions, loaded inputs, time and panics; a panicking input is
# written to $TMPDIR/fuzz_<target>_crash_<seed>.bin and this script exits 1.
# Extra arguments (e.g. --seed 7) are passed to the fuzzer.
set -euo pipefail

seconds="${1:-60}"
shift || true
cd "$(dirname "$0")/.."

# Release speed, but with the checks a debug build has: an arithmetic overflow is a panic, as
# in `cargo test`, not a silent wrap.
export CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true
export CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true

cargo build --quiet --release -p tprog-fuzz --bin fuzz
exec target/release/fuzz --target all --seconds "$seconds" "$@"
