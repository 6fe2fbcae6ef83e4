#!/bin/bash
# The sources and tests build with clang under -Werror too (in a scratch copy,
# so the gcc objects of this tree are left alone).
set -u
cd "$(dirname "$0")/.."
command -v clang >/dev/null || { echo "SKIP: clang not installed"; exit 77; }
tmp=$(mktemp -d /tmp/kvmtune-clang-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp -r src tests Makefile "$tmp"
cd "$tmp" && make -s clean >/dev/null 2>&1
out=$(make -s CC=clang kvmtune $(ls tests/test_*.c | sed 's/\.c$//') 2>&1)
rc=$?
[ -n "$out" ] && echo "$out"
exit $rc
