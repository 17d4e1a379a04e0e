#!/usr/bin/env bash
# Creates (or refreshes) the project's Python environment in .venv with the
# packages listed in requirements/$1.txt, and prints the venv's bin folder.
# Sourced-free: callers do `PATH="$(bash scripts/python-env.sh test):$PATH"`.
# The `fixtures` kind (torch and friends, several GB) gets its own venv,
# .venv-fixtures, so the test venv stays small.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-test}"
req="requirements/$kind.txt"
venv=".venv"
if [ "$kind" = fixtures ]; then venv=".venv-fixtures"; fi
stamp="$venv/.installed-$kind"
if [ ! -x "$venv/bin/python3" ]; then
    python3 -m venv "$venv" >&2
fi
# Reinstall only when the requirements changed since the last install.
if [ ! -f "$stamp" ] || ! cmp -s "$req" "$stamp"; then
    "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
    cp "$req" "$stamp"
fi
echo "$PWD/$venv/bin"
