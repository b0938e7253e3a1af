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
out="$(cd "$out" && pwd)" # absolute: gremlins may run in a copy of the module (below)
gremlins="$(GO="$GO" bash scripts/install-gremlins.sh)"
# -count=1: gremlins times its first (coverage) `go test` and gives each
# mutant's test run that time multiplied by the timeout coefficient; a cached
# result would make that time near zero and every slow mutant a false TIMED OUT.
# -ldflags=-w: no DWARF in the test binaries, which nobody debugs here; it
# cuts the link, most of a mutant's time in a package that links pulumi-aws
# (components: 9.8 s of CPU to compile and link a mutant instead of 11.8 s).
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1 -ldflags=-w"

# gremlins v0.6.0 chooses the package whose tests judge a mutant by walking
# up from the mutated file's directory until a path ends with the file's
# package name, and falls back to the module root when none does
# (Engine.pkgName in internal/engine/engine.go). A `package main` directory
# (every Lambda function here) matches nothing, so its mutants were judged
# by `go test` of the module root, which has no tests: every covered mutant
# LIVED (or TIMED OUT while the root compiled) without its own tests running.
# Such a directory runs in a copy of the module in which it is named
# <dir>main, a path that ends with "main". A `package main` directory holds
# no package that others import, so the copy under the other name changes
# nothing but where gremlins looks.
pkg_found_by_gremlins() { # dir (./a/b), package name
	local p="${1#./}"
	while [ "$p" != "." ] && [ -n "$p" ]; do
		case "$p" in *"$2") return 0 ;; esac
		p="$(dirname "$p")"
	done
	return 1
}
stage=""
cleanup() { if [ -n "$stage" ]; then rm -rf "$stage"; fi; }
trap 'cleanup; rm -rf "${graphdump_cache:-}"' EXIT

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
	# The tests of internal/policy and internal/costs read mocked graphs from
	# cmd/graphdump (internal/graphdump); no mutant of theirs changes its
	# answer, so the answers are kept for this package's run only.
	graphdump_cache="$(mktemp -d "${TMPDIR:-/tmp}/mutate-graphdump.XXXXXX")"
	export GRAPHDUMP_CACHE_DIR="$graphdump_cache"
	run_in="$root"
	run_dir="$dir"
	name="$("$GO" list -f '{{.Name}}' "$dir")"
	if ! pkg_found_by_gremlins "$dir" "$name"; then
		cleanup
		stage="$(mktemp -d "${TMPDIR:-/tmp}/mutate-stage.XXXXXX")"
		# The module's files as git sees them (tracked, and new ones not ignored).
		git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "$stage"
		cp -a "$stage/${dir#./}" "$stage/${dir#./}$name"
		run_in="$stage"
		run_dir="$dir$name"
		echo "mutate: $dir is package $name, which gremlins would test as the module root: running it as $run_dir in a copy of the module" >&2
	fi
	# Exit status ignored: gremlins' own thresholds are not set; cmd/mutscore judges.
	# shellcheck disable=SC2086
	(cd "$run_in" && "$gremlins" unleash --workers 1 --timeout-coefficient "${MUTATE_TIMEOUT_COEFFICIENT:-5}" \
		-o "$json.tmp" ${GREMLINS_FLAGS:-} "$run_dir") >"$json.log" 2>&1 || true
	cleanup
	stage=""
	rm -rf "$graphdump_cache"
	unset GRAPHDUMP_CACHE_DIR
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
