#!/usr/bin/env bash
# Makes the Python virtual environment torchtpu bench uses for its JAX peer (jax and jaxlib from PyPI, versions
# pinned) at <cache>/jax-venv, unless it is there already, and prints its python:
#
#   torchtpu bench MODEL --jax-python "$(runtime-launcher/scripts/fetch-jax.sh)"
#
# Needs python3 with venv (Debian: python3-venv). jax 0.10.2 is the newest that runs on Debian 12's Python 3.11.
set -euo pipefail
JAX_VERSION=0.10.2
cache="${TORCHTPU_CACHE:-$HOME/.cache/torchtpu}"
venv="$cache/jax-venv"
python="$venv/bin/python"
if [ -x "$python" ] && "$python" -c "import jax, sys; sys.exit(jax.__version__ != '$JAX_VERSION')" 2>/dev/null; then
  echo "$python"
  exit 0
fi
echo "fetch-jax: making $venv with jax $JAX_VERSION" >&2
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "jax==$JAX_VERSION" "jaxlib==$JAX_VERSION" >&2
echo "$python"
