#!/usr/bin/env bash
# Prints the path of a Pulumi CLI at the version pinned in
# tools/pulumicli/go.mod, for the engine tests (internal/enginetest).
#
#   1. a `pulumi` on PATH whose `pulumi version` is the pinned version, else
#   2. the binary cached from an earlier build, else
#   3. a build of github.com/pulumi/pulumi/pkg/v3/cmd/pulumi from the Go module
#      proxy (several minutes the first time), written to the cache.
#
# The cache is $PULUMI_CLI_CACHE, default <parent of GOCACHE>/vpc-flow-logs/
# pulumi-<version> (usually ~/.cache/vpc-flow-logs/pulumi-v3.259.0). Nothing is
# downloaded from anywhere but the Go module proxy. Progress goes to stderr,
# the path to stdout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/tools/pulumicli"
GO="${GO:-go}"

version="$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { print $2; exit }' "$tools/go.mod")"
if [ -z "$version" ]; then
	echo "pulumi-cli: no github.com/pulumi/pulumi/pkg/v3 version in $tools/go.mod" >&2
	exit 1
fi

# matches BIN: BIN runs and reports the pinned version.
matches() { [ -x "$1" ] && [ "$("$1" version 2>/dev/null | tr -d '[:space:]')" = "$version" ]; }

if onpath="$(command -v pulumi 2>/dev/null)" && matches "$onpath"; then
	echo "$onpath"
	exit 0
fi

cache="${PULUMI_CLI_CACHE:-}"
if [ -z "$cache" ]; then
	gocache="$("$GO" env GOCACHE)"
	case "$gocache" in
	"" | off) cache="${XDG_CACHE_HOME:-$HOME/.cache}/vpc-flow-logs/pulumi-$version" ;;
	*) cache="$(dirname "$gocache")/vpc-flow-logs/pulumi-$version" ;;
	esac
fi
bin="$cache/pulumi"
if matches "$bin"; then
	echo "$bin"
	exit 0
fi

mkdir -p "$cache"
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.lock"
	flock 9 # another build may be running (two `make` at once): wait for it
fi
if matches "$bin"; then
	echo "$bin"
	exit 0
fi

echo "pulumi-cli: building the Pulumi CLI $version from the Go module proxy into $cache (first run only, several minutes)" >&2
start=$(date +%s)
tmp="$cache/pulumi.tmp.$$"
trap 'rm -f "$tmp"' EXIT
(
	cd "$tools"
	# -mod=readonly: go.mod and go.sum of the tools module pin every module.
	GOFLAGS="-mod=readonly -buildvcs=false" "$GO" build -trimpath \
		-ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
		-o "$tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
)
mv "$tmp" "$bin"
if ! matches "$bin"; then
	echo "pulumi-cli: $bin does not report version $version" >&2
	exit 1
fi
echo "pulumi-cli: built in $(($(date +%s) - start))s" >&2
echo "$bin"
