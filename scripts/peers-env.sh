# Sourced by the peers-*.sh scripts: makes the venv (target/peers-venv, from
# scripts/peers-requirements.txt, reinstalled only when that file changes) and the
# boilerstrip binary ($BOILERSTRIP if set, else a release build of this checkout).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=target/peers-venv
PY=$VENV/bin/python
if [[ ! -x $PY ]]; then
    python3 -m venv "$VENV"
fi
if ! cmp -s scripts/peers-requirements.txt "$VENV/requirements.installed"; then
    "$PY" -m pip install --quiet --disable-pip-version-check -r scripts/peers-requirements.txt
    cp scripts/peers-requirements.txt "$VENV/requirements.installed"
fi
if [[ -z ${BOILERSTRIP:-} ]]; then
    cargo build --release --locked --quiet
    BOILERSTRIP=target/release/boilerstrip
fi
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in scripts/
