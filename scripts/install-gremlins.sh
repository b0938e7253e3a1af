#!/usr/bin/env bash
# Installs gremlins (mutation testing, https://gremlins.dev) at the version
# pinned in tools/gremlins/go.mod, built from the Go module proxy into
# .build/bin (git-ignored), and prints the binary's path. `make mutate` calls
# it; a second call reuses the installed binary. The tools module keeps
# gremlins and its dependencies out of the program's go.mod.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/tools/gremlins"
GO="${GO:-go}"

version="$(awk '$1 == "github.com/go-gremlins/gremlins" { print $2; exit }' "$tools/go.mod")"
if [ -z "$version" ]; then
	echo "install-gremlins: no github.com/go-gremlins/gremlins version in $tools/go.mod" >&2
	exit 1
fi

bin_dir="${GREMLINS_BIN_DIR:-$root/.build/bin}"
bin="$bin_dir/gremlins"
stamp="$bin_dir/.gremlins-version"

if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
	echo "$bin"
	exit 0
fi
mkdir -p "$bin_dir"
echo "install-gremlins: building github.com/go-gremlins/gremlins/cmd/gremlins $version into $bin_dir" >&2
(
	cd "$tools"
	# -mod=readonly: go.mod and go.sum of the tools module pin every module.
	GOFLAGS="-mod=readonly -buildvcs=false" "$GO" build -trimpath -o "$bin" github.com/go-gremlins/gremlins/cmd/gremlins
)
echo "$version" >"$stamp"
echo "$bin"
