# Sourced by tools/*.sh: the project's virtualenv, created and kept current.
# pip runs only when the venv is new or what it installs from changed
# (setup.cfg, the requirements files): the package is installed editable,
# so code changes need no reinstall, and a demo's or test run's second
# start skips the ~6 s pip takes to find it has nothing to do.
venv=${PRATAI_VENV:-.venv}
if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
fi
_stamp=$(cat setup.cfg setup.py requirements.txt test-requirements.txt |
    "$venv/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
if [[ $(cat "$venv/.pratai-installed" 2>/dev/null) != "$_stamp" ]]; then
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q -e . -r test-requirements.txt
    echo "$_stamp" >"$venv/.pratai-installed"
fi
unset _stamp
