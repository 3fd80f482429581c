#!/usr/bin/env bash
# Runs the demo: migrate, load the demo data, then the web server on http://127.0.0.1:8000
# with a real Celery worker and Celery beat beside it. Worker and beat print on this terminal
# with [worker] / [beat] in front of each line. Ctrl-C (or TERM) stops all three.
#
# Without REDIS_URL the worker and beat use the filesystem broker under var/ (nothing else to
# run); with REDIS_URL set they use Redis. Normally started by `make demo`, which installs
# everything first. DEMO_ADDR changes the address (default 127.0.0.1:8000).
set -euo pipefail

cd "$(dirname "$0")/.."

PY=.venv/bin/python
CELERY=.venv/bin/celery
ADDR=${DEMO_ADDR:-127.0.0.1:8000}

if [[ ! -x $PY || ! -x $CELERY ]]; then
  echo "demo: no installed .venv here; run 'make demo' instead." >&2
  exit 1
fi

mkdir -p var

echo "== Database: migrate"
"$PY" manage.py migrate --noinput

echo "== Demo data: seed_demo"
"$PY" manage.py seed_demo

# With DEBUG on, runserver serves static files straight from the apps and static/; without it
# they must be collected first (and runserver needs --insecure to serve them).
runserver_args=()
debug=$("$PY" -c '
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lanshan_aid.settings.base")
django.setup()
from django.conf import settings
print(int(settings.DEBUG))' 2>/dev/null | tail -n 1) || debug=1
if [[ $debug != 1 ]]; then
  echo "== Static files: collectstatic (DEBUG is off)"
  "$PY" manage.py collectstatic --noinput --verbosity 0
  runserver_args+=(--insecure)
fi

pids=()

stop_all() {
  trap - EXIT INT TERM
  trap '' PIPE  # still stop everything when the terminal side of a pipe (| tee) is gone
  if [[ ${#pids[@]} -gt 0 ]]; then
    echo "== Stopping web server, worker and beat"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    # Celery's warm shutdown takes a few seconds; after 20 s nothing is left behind.
    for _ in $(seq 1 200); do
      kill -0 "${pids[@]}" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
  fi
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts "$@" in the background with every output line prefixed by [name]; $! is the command
# itself, so it can be signalled directly.
start_prefixed() {
  local name=$1
  shift
  # The prefixer ignores Ctrl-C so that it passes on the last lines until the command ends.
  "$@" > >(trap '' INT; exec sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
}

echo "== Celery worker and beat"
start_prefixed worker "$CELERY" -A lanshan_aid worker -l info
start_prefixed beat "$CELERY" -A lanshan_aid beat -l info -s var/celerybeat-schedule

echo "== Web server: http://$ADDR/  (Ctrl-C stops everything)"
# Started like the others so that a TERM sent to this script is handled at once (bash defers
# traps while a foreground child runs); its output goes straight to the terminal.
"$PY" manage.py runserver "${runserver_args[@]}" "$ADDR" &
pids+=($!)

# Stay until any of the three ends; then stop the other two.
status=0
wait -n "${pids[@]}" || status=$?
echo "demo: a process exited (status $status); stopping the others." >&2
exit "$status"
