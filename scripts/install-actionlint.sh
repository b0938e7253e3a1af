#!/usr/bin/env bash
# Installs actionlint at a pinned version from the Go module proxy into
# .build/bin (git-ignored) and prints the binary's path. `make
# lint-workflows` calls it; a second call reuses the installed binary.
set -euo pipefail

# Pinned: bump deliberately, then run `make lint-workflows`.
ACTIONLINT_VERSION=v1.7.12

cd "$(dirname "$0")/.."
bin_dir="${ACTIONLINT_BIN_DIR:-$PWD/.build/bin}"
bin="$bin_dir/actionlint"

if [ -x "$bin" ] && [ "$("$bin" -version 2>/dev/null | head -n 1)" = "$ACTIONLINT_VERSION" ]; then
	echo "$bin"
	exit 0
fi
mkdir -p "$bin_dir"
echo "install-actionlint: go install github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
GOBIN="$bin_dir" "${GO:-go}" install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
echo "$bin"
