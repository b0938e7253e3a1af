#!/usr/bin/env bash
# Installs Graphviz (`dot`), which `make diagram` uses to render
# docs/architecture.svg, from the Debian/Ubuntu package archive when it is
# missing. Needs root or sudo; does nothing when `dot` is already on PATH.
set -euo pipefail

if command -v dot >/dev/null 2>&1; then
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-graphviz: no apt-get here; install Graphviz with your package manager (it provides 'dot')" >&2
	exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "install-graphviz: run as root or install sudo (apt-get install graphviz)" >&2
		exit 1
	fi
	sudo=(sudo)
fi
echo "install-graphviz: installing the graphviz package" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >/dev/null
command -v dot >/dev/null
