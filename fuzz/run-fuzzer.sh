#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs one libFuzzer target for $FUZZ_SECONDS (default 30) from its seed corpus, which it
# only reads: new inputs go to a scratch directory, a crash's input to
# $FUZZ_ARTIFACTS (default fuzz-artifacts/ in the build directory) for the corpus.
# Usage: run-fuzzer.sh TARGET SEED_CORPUS_DIR
set -eu
target=$1 seeds=$2
name=$(basename "$target")
artifacts=${FUZZ_ARTIFACTS:-$PWD/fuzz-artifacts}
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# leaks are findings too; one input may take 10 s at most
"$target" -max_total_time="${FUZZ_SECONDS:-30}" -timeout=10 -rss_limit_mb=1024 -max_len=16384 \
        -print_final_stats=1 -artifact_prefix="$artifacts/$name-" "$scratch" "$seeds"
