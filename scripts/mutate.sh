#!/usr/bin/env bash
# Mutation testing (`make mutate`): runs gremlins (pinned, installed by
# scripts/install-gremlins.sh) on each package directory given as an argument,
# one after the other with one worker (the machine is shared), writes its JSON
# results to $MUTATE_OUT/<dir with / as _>.json together with the seconds the
# run took (.seconds), and leaves the table and the verdict to cmd/mutscore.
#
#   bash scripts/mutate.sh ./internal/flowlog ./internal/costs
#
# Not --test-cpu: gremlins v0.6.0 passes it to go test as the single argument
# "-cpu N", which go test does not read as the -cpu flag.
#
# GREMLINS_FLAGS adds flags (for example --timeout-coefficient 20 on a busy
# machine). A package whose results are newer than every .go file under it is
# not run again unless MUTATE_FORCE=1.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
GO="${GO:-go}"
out="${MUTATE_OUT:-$root/.build/mutate}"
mkdir -p "$out"
gremlins="$(GO="$GO" bash scripts/install-gremlins.sh)"
# -count=1: gremlins times its first (coverage) `go test` and gives each
# mutant's test run that time multiplied by the timeout coefficient; a cached
# result would make that time near zero and every slow mutant a false TIMED OUT.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1"

for dir in "$@"; do
	dir="./${dir#./}"
	dir="${dir%/}"
	slug="${dir#./}"
	slug="${slug//\//_}"
	json="$out/$slug.json"
	if [ "${MUTATE_FORCE:-0}" != 1 ] && [ -s "$json" ] && [ -z "$(find "$dir" -name '*.go' -newer "$json" -print -quit)" ]; then
		echo "mutate: $dir: results in $json are newer than its sources; MUTATE_FORCE=1 runs it again" >&2
		continue
	fi
	echo "mutate: $dir" >&2
	start=$(date +%s)
	# Exit status ignored: gremlins' own thresholds are not set; cmd/mutscore judges.
	# shellcheck disable=SC2086
	"$gremlins" unleash --workers 1 --timeout-coefficient "${MUTATE_TIMEOUT_COEFFICIENT:-5}" \
		-o "$json.tmp" ${GREMLINS_FLAGS:-} "$dir" >"$json.log" 2>&1 || true
	if [ -e "$json.tmp" ]; then
		mv "$json.tmp" "$json"
	elif grep -q "No results to report" "$json.log"; then
		echo '{"files":[]}' >"$json" # a package without mutants: gremlins writes no file
	else
		echo "mutate: $dir: gremlins wrote no results; see $json.log" >&2
		cat "$json.log" >&2
		exit 1
	fi
	echo $(($(date +%s) - start)) >"$json.seconds"
	echo "mutate: $dir took $(cat "$json.seconds")s" >&2
done
