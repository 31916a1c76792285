#!/bin/sh
# Stock djangorestframework-simplejwt peer for interop runs (see NOTES.md).
#
#   run.sh setup    create .venv and install requirements.txt (idempotent)
#   run.sh start [--rotate] [--blacklist] [--access-seconds N]
#                [--refresh-seconds N] [--signing-key K]
#                [--algorithm A --private-key-file F --public-key-file F]
#                   fresh DB + users, gunicorn on a free loopback port;
#                   prints exactly one line on stdout: BASE_URL=http://127.0.0.1:PORT
#   run.sh stop [--port N]
#                   stop every instance started by `start` (or only the one on
#                   port N) and remove its state dir
#
# Typical use:  eval "$(interop/simplejwt/run.sh start --access-seconds 2 --refresh-seconds 4)"
#               ... tests against "$BASE_URL" ...
#               interop/simplejwt/run.sh stop
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
VENV="$HERE/.venv"
RUN_DIR="$HERE/.run"
PY="${PYTHON:-python3}"
READY_TIMEOUT="${READY_TIMEOUT:-30}"

log() { printf 'run.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit "${1:-2}"
}

# True when .venv exists and has exactly the versions pinned in requirements.txt.
venv_ready() {
    [ -x "$VENV/bin/python" ] || return 1
    "$VENV/bin/python" - "$HERE/requirements.txt" <<'EOF' >/dev/null 2>&1
import importlib.metadata as md, sys
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, version = line.split("==")
    try:
        if md.version(name) != version:
            sys.exit(1)
    except md.PackageNotFoundError:
        sys.exit(1)
EOF
}

cmd_setup() {
    if venv_ready; then
        log "setup: $VENV already has the pinned packages"
        return 0
    fi
    if [ -e "$VENV" ] && ! "$VENV/bin/python" -c 'pass' >/dev/null 2>&1; then
        log "setup: removing unusable $VENV"
        rm -rf "$VENV"
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        log "setup: creating $VENV with $PY"
        "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
            die "setup: Django 5.2 needs Python >= 3.10 (set PYTHON=...)"
        "$PY" -m venv "$VENV" >&2
    fi
    log "setup: pip install -r requirements.txt"
    "$VENV/bin/python" -m pip install --no-input --disable-pip-version-check -q \
        -r "$HERE/requirements.txt" >&2
    venv_ready || die "setup: packages still do not match requirements.txt"
    log "setup: done"
}

# signal_pid PID: TERM = graceful shutdown of a gunicorn master and its workers
# (not INT: a background job of a non-interactive shell starts with INT ignored).
# Only if PID is still a gunicorn (guards against a reused PID).
signal_pid() {
    kill -0 "$1" 2>/dev/null || return 1
    if [ -r "/proc/$1/cmdline" ] && ! tr '\0' ' ' <"/proc/$1/cmdline" | grep -q gunicorn; then
        log "stop: pid $1 is not a gunicorn any more; leaving it alone"
        return 1
    fi
    kill -TERM "$1" 2>/dev/null || true
}

# reap_pid PID: wait up to 10 s for it to exit, then KILL it and its workers.
reap_pid() {
    _i=0
    while kill -0 "$1" 2>/dev/null && [ "$_i" -lt 100 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    kill -0 "$1" 2>/dev/null || return 0
    log "stop: pid $1 ignored TERM; killing it and its workers"
    if command -v pgrep >/dev/null 2>&1; then
        for _w in $(pgrep -P "$1" || true); do kill -KILL "$_w" 2>/dev/null || true; done
    fi
    kill -KILL "$1" 2>/dev/null || true
}

stop_pid() {
    if signal_pid "$1"; then reap_pid "$1"; fi
}

# wait_ready PID PORT: until the server answers any HTTP status (bounded).
wait_ready() {
    "$VENV/bin/python" - "$1" "$2" "$READY_TIMEOUT" <<'EOF'
import os, sys, time, urllib.error, urllib.request
pid, port, timeout = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat") as f:  # an exited child is a zombie until reaped
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                sys.exit(1)
    except FileNotFoundError:
        pass  # no /proc (not Linux)
    except ProcessLookupError:
        sys.exit(1)  # gunicorn exited (e.g. port taken)
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/gettoken/", timeout=2)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)  # 405 on GET: it answers
    except OSError:
        time.sleep(0.1)
sys.exit(2)  # timeout
EOF
}

cmd_start() {
    rotate=0 blacklist=0 access="" refresh="" key="" algorithm="" private="" public=""
    while [ $# -gt 0 ]; do
        case $1 in
        --rotate) rotate=1 ;;
        --blacklist) blacklist=1 ;;
        --access-seconds | --refresh-seconds | --signing-key | --algorithm | --private-key-file | --public-key-file)
            [ $# -ge 2 ] || die "start: $1 needs a value"
            case $1 in
            --access-seconds) access=$2 ;;
            --refresh-seconds) refresh=$2 ;;
            --signing-key) key=$2 ;;
            --algorithm) algorithm=$2 ;;
            --private-key-file) private=$2 ;;
            --public-key-file) public=$2 ;;
            esac
            shift
            ;;
        --access-seconds=*) access=${1#*=} ;;
        --refresh-seconds=*) refresh=${1#*=} ;;
        --signing-key=*) key=${1#*=} ;;
        *) die "start: unknown option $1" ;;
        esac
        shift
    done
    for n in "$access" "$refresh"; do
        case $n in
        "") ;;
        *[!0-9]* | 0) die "start: lifetimes must be positive whole seconds, got '$n'" ;;
        esac
    done

    venv_ready || cmd_setup >&2

    mkdir -p "$RUN_DIR"
    state=$(mktemp -d "$RUN_DIR/peer.XXXXXX")
    pid=""
    # On any failure: stop what was started, remove the state dir.
    trap 'st=$?; trap - EXIT; [ -n "$pid" ] && stop_pid "$pid"; rm -rf "$state"; rmdir "$RUN_DIR" 2>/dev/null; exit $st' EXIT
    trap 'exit 1' INT TERM HUP

    export DJANGO_SETTINGS_MODULE=peer.settings PEER_STATE_DIR="$state"
    export SIGNING_KEY="$key" ACCESS_SECONDS="$access" REFRESH_SECONDS="$refresh"
    export ROTATE_REFRESH_TOKENS="$rotate" BLACKLIST_AFTER_ROTATION="$blacklist"
    for f in "$private" "$public"; do
        [ -z "$f" ] || [ -r "$f" ] || die "start: cannot read key file $f"
    done
    export ALGORITHM="$algorithm" SIGNING_KEY_FILE="$private" VERIFYING_KEY_FILE="$public"
    {
        echo "ROTATE_REFRESH_TOKENS=$rotate"
        echo "BLACKLIST_AFTER_ROTATION=$blacklist"
        echo "ACCESS_SECONDS=$access"
        echo "REFRESH_SECONDS=$refresh"
        echo "SIGNING_KEY=${key:-(default)}"
        echo "ALGORITHM=${algorithm:-HS256}"
        echo "SIGNING_KEY_FILE=$private"
        echo "VERIFYING_KEY_FILE=$public"
    } >"$state/config"

    cd "$HERE"
    if ! { "$VENV/bin/python" manage.py migrate --noinput &&
        "$VENV/bin/python" manage.py seed_users; } >"$state/setup.log" 2>&1; then
        cat "$state/setup.log" >&2
        die "start: migrate/seed failed"
    fi

    attempt=1
    while :; do
        port=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
        "$VENV/bin/gunicorn" peer.wsgi:application \
            --workers 3 --worker-class sync --bind "127.0.0.1:$port" \
            --graceful-timeout 5 --no-control-socket \
            --access-logfile - --error-logfile - \
            </dev/null >>"$state/gunicorn.log" 2>&1 &
        pid=$!
        echo "$pid" >"$state/gunicorn.pid"
        echo "$port" >"$state/port"
        rc=0
        wait_ready "$pid" "$port" || rc=$?
        [ "$rc" -eq 0 ] && break
        tail -n 20 "$state/gunicorn.log" >&2
        [ "$rc" -eq 1 ] || die "start: gunicorn did not answer within ${READY_TIMEOUT}s"
        wait "$pid" 2>/dev/null || true
        pid=""
        [ "$attempt" -lt 3 ] || die "start: gunicorn exited $attempt times"
        attempt=$((attempt + 1))
        log "start: gunicorn exited; retrying on another port"
    done

    trap - EXIT INT TERM HUP
    log "start: pid $pid, state $state (rotate=$rotate blacklist=$blacklist access=${access:-stock} refresh=${refresh:-stock})"
    echo "BASE_URL=http://127.0.0.1:$port"
}

# selected DIR: is DIR a state dir that this `stop` should handle?
selected() {
    [ -d "$1" ] || return 1
    [ -z "$only_port" ] || [ "$(cat "$1/port" 2>/dev/null)" = "$only_port" ]
}

cmd_stop() {
    only_port=""
    case ${1:-} in
    --port) [ $# -ge 2 ] || die "stop: --port needs a value"; only_port=$2 ;;
    --port=*) only_port=${1#*=} ;;
    "") ;;
    *) die "stop: unknown option $1" ;;
    esac
    [ -d "$RUN_DIR" ] || return 0
    pids=""
    for d in "$RUN_DIR"/*/; do # signal every instance first, then wait for them
        selected "$d" || continue
        p=$(cat "$d/gunicorn.pid" 2>/dev/null || true)
        [ -n "$p" ] || continue
        log "stop: pid $p (port $(cat "$d/port" 2>/dev/null || echo ?))"
        if signal_pid "$p"; then pids="$pids $p"; fi
    done
    for p in $pids; do reap_pid "$p"; done
    for d in "$RUN_DIR"/*/; do
        if selected "$d"; then rm -rf "$d"; fi
    done
    rmdir "$RUN_DIR" 2>/dev/null || true
}

[ $# -ge 1 ] || usage
sub=$1
shift
case $sub in
setup) cmd_setup ;;
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
-h | --help | help) usage 0 ;;
*) usage ;;
esac
