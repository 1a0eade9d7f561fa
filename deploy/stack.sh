#!/usr/bin/env bash
# `make stack`: the production topology on this machine. Varnish on PORT (deploy/varnish/
# default.vcl), gunicorn behind it on BACKEND_PORT, and the worker (mail, cache purges), against
# DATABASE_URL and REDIS_URL when they are set, else SQLite and a cache in files (var/cache). All three
# stop together: on Ctrl-C, on a signal, or when any of them exits.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8000}"
BACKEND_PORT="${BACKEND_PORT:-$((PORT + 1))}"
PY="${PY:-.venv/bin/python}"
GUNICORN="${GUNICORN:-$(dirname "$PY")/gunicorn}"
VARNISHD="${VARNISHD:-$(command -v varnishd || echo /usr/sbin/varnishd)}"
if [ ! -x "$VARNISHD" ]; then
  echo "varnishd not found: apt-get install varnish varnish-modules" >&2
  exit 1
fi

# The VCL as deployed, with only its backend line pointing at this gunicorn. Not under a private
# temporary directory: when started as root, Varnish's child runs as the varnish user.
run_dir="$(mktemp -d "${TMPDIR:-/tmp}/coalition-stack.XXXXXX")"
chmod 755 "$run_dir"
sed "s/^\(\s*\.host = \"127\.0\.0\.1\"; \.port = \)\"8000\";/\1\"$BACKEND_PORT\";/" \
  deploy/varnish/default.vcl >"$run_dir/default.vcl"
if ! grep -q "\.port = \"$BACKEND_PORT\";" "$run_dir/default.vcl"; then
  echo "deploy/varnish/default.vcl: no backend line to point at port $BACKEND_PORT" >&2
  exit 1
fi

# The site purges this Varnish after every public change; links made outside a request (mail)
# point at Varnish, the address visitors use.
export HTTP_CACHE_PURGE_URLS="${HTTP_CACHE_PURGE_URLS:-http://127.0.0.1:$PORT}"
# gunicorn sees every visitor come from Varnish on loopback: the client's address is the one
# Varnish appends to X-Forwarded-For, believed from Varnish only. Without it, one visitor's
# wrong passwords or API burst would count against everyone.
export TRUSTED_PROXIES="${TRUSTED_PROXIES:-127.0.0.1,::1}"
export PORT
# Without Redis, a cache every process shares (coalition/settings.py: CACHE_DIR): a change made
# in one gunicorn worker, or by the worker, moves the public versions the others read.
if [ -z "${REDIS_URL:-}" ]; then
  export CACHE_DIR="${CACHE_DIR:-$PWD/var/cache}"
fi

# With DEBUG off, WhiteNoise serves static files (the health probe's among them) from here only.
"$PY" manage.py collectstatic --noinput --verbosity 0

pids=()
stop_all() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$run_dir"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

"$GUNICORN" coalition.wsgi --bind "127.0.0.1:$BACKEND_PORT" --workers "${WEB_CONCURRENCY:-2}" &
pids+=("$!")
"$PY" manage.py worker &
pids+=("$!")
"$VARNISHD" -F -n "$run_dir/varnish" -a "127.0.0.1:$PORT" -f "$run_dir/default.vcl" \
  -s "malloc,${VARNISH_MEMORY:-256m}" &
pids+=("$!")

echo ""
echo "  Site (through Varnish): http://127.0.0.1:$PORT/"
echo "  gunicorn behind it:     http://127.0.0.1:$BACKEND_PORT/"
echo "  Admin:                  http://127.0.0.1:$PORT/admin/"
echo ""

# The first of the three to exit ends the stack (and the trap stops the other two).
wait -n
