#!/usr/bin/env bash
# enginecmp.sh compares an engine benchmark between two revisions on a
# noisy machine. Sequential runs of one binary vary by ±20% on a shared
# 2-core VM; running the two binaries at the same time, each pinned to its
# own core with GOMAXPROCS=1 (swapping cores every round), exposes both to
# the same noise, so the per-round ratio is far steadier than either figure.
#
#   bench/enginecmp.sh REV_A REV_B [ROUNDS] [BENCH_A] [BENCH_B]
#
# REV_A/REV_B: git revisions (or "." for the working tree). BENCH_B defaults
# to BENCH_A (default: the 1-metric spread workload,
# 'ApplyIngest/customers=10000/runs'); a different BENCH_B compares two
# names for one workload (e.g. BenchmarkApplyIngestMetrics/metrics=1$ is
# BenchmarkApplyIngest's runs workload). Each run is a fixed 2000 entries of
# 1000 events (the dedup index grows with N, so time-based runs would
# measure different work). Prints each round, then the medians and the
# median ratio B/A. Needs taskset (util-linux) and two cores.
set -euo pipefail

rev_a=${1:?revision A}
rev_b=${2:?revision B}
rounds=${3:-10}
bench_a=${4:-'ApplyIngest/customers=10000/runs'}
bench_b=${5:-$bench_a}
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'git -C "$root" worktree prune; rm -rf "$work"' EXIT

build() { # build REV OUT
	local src=$root
	if [ "$1" != "." ]; then
		src=$work/src-$(basename "$2")
		git -C "$root" worktree add -q --detach "$src" "$1"
	fi
	(cd "$src" && go test -c -o "$2" ./engine)
	if [ "$1" != "." ]; then git -C "$root" worktree remove --force "$src"; fi
}
echo "building $rev_a and $rev_b" >&2
build "$rev_a" "$work/a.test"
build "$rev_b" "$work/b.test"

events() { awk '{for (i = 1; i <= NF; i++) if ($(i+1) == "events/s") print $i}' "$1"; }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

: >"$work/rounds"
for i in $(seq "$rounds"); do
	ca=$((i % 2)); cb=$((1 - ca))
	taskset -c "$ca" "$work/a.test" -test.run '^$' -test.cpu 1 -test.bench "$bench_a" -test.benchtime 2000x >"$work/a.out" 2>&1 &
	taskset -c "$cb" "$work/b.test" -test.run '^$' -test.cpu 1 -test.bench "$bench_b" -test.benchtime 2000x >"$work/b.out" 2>&1 &
	wait
	a=$(events "$work/a.out"); b=$(events "$work/b.out")
	if [ -z "$a" ] || [ -z "$b" ]; then
		echo "round $i: a benchmark printed no events/s" >&2
		cat "$work/a.out" "$work/b.out" >&2
		exit 1
	fi
	ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", b / a}')
	echo "round $i/$rounds: A $a  B $b  B/A $ratio" >&2
	echo "$a $b $ratio" >>"$work/rounds"
done
echo "A $rev_a ($bench_a): median $(cut -d' ' -f1 "$work/rounds" | median) events/s"
echo "B $rev_b ($bench_b): median $(cut -d' ' -f2 "$work/rounds" | median) events/s"
echo "median B/A: $(cut -d' ' -f3 "$work/rounds" | median)"
