#!/usr/bin/env bash
# Fuzzing (`make fuzz`): runs every fuzz target of the module (every
# `func Fuzz...` in a _test.go file), one after the other, FUZZ_TIME each.
#
#   bash scripts/fuzz.sh                       # every package with a fuzz target
#   bash scripts/fuzz.sh ./lambda/internal/inflate
#
# -fuzzminimizetime is FUZZ_MINIMIZE (2s), not go test's default of 60s: the
# fuzzer minimizes each new input that widens coverage before it goes on, and
# minimizing an input the size of these seeds (a compressed payload of a few
# KB) takes the whole minute, so a 30-second run of FuzzGunzip used to spend
# all of it minimizing its first find and reported "execs: 18 (0/sec)".
# A failure stops the script; go test has written the input under the
# package's testdata/fuzz/<target>/, which is then a seed of every `go test`
# (commit it with the fix).
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
time="${FUZZ_TIME:-30s}"
minimize="${FUZZ_MINIMIZE:-2s}"
if [ "$#" -eq 0 ]; then
	mapfile -t pkgs < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | xargs -n1 dirname | sort -u | sed 's|^|./|')
else
	pkgs=("$@")
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
n=0
for pkg in "${pkgs[@]}"; do
	for target in $("$GO" test -list '^Fuzz' "$pkg" | grep '^Fuzz'); do
		echo "== $pkg $target ($time)"
		if "$GO" test -run '^$' -fuzz "^${target}\$" -fuzztime "$time" -fuzzminimizetime "$minimize" "$pkg" >"$log" 2>&1; then
			tail -n 3 "$log"
		else
			cat "$log"
			exit 1
		fi
		n=$((n + 1))
	done
done
echo "fuzz: $n targets, $time each, no failure"
