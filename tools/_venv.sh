# Sourced by tools/*.sh: the project's virtualenv, created and kept current.
venv=${PRATAI_VENV:-.venv}
if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q -e . -r test-requirements.txt
