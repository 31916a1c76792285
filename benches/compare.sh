#!/bin/sh
# Side-by-side load runs for the README's Performance table, alternating the two sides so
# that a noisy neighbour hurts both alike; prints each run and the medians' ratio.
#
#   benches/compare.sh wrk [ROUNDS]        the load command vs wrk, same target, same request:
#                                          POST /verifytoken/, 64 connections, 10 s
#   benches/compare.sh simplejwt [ROUNDS]  the reference server vs stock simplejwt under
#                                          gunicorn (interop/simplejwt), both measured by the
#                                          load command: POST /verifytoken/, 64 connections, 10 s
#
# The target is the release reference-server binary in its own process (per-request logging
# off). Build first: cargo build --release -p reference-server -p conformance
# Environment: ROUNDS (default 3), CONNECTIONS (64), DURATION (10, seconds), CARGO_TARGET_DIR.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
MODE=${1:-}
ROUNDS=${2:-${ROUNDS:-3}}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10}
PASSWORD=alice-pass-1

die() { printf 'compare.sh: %s\n' "$*" >&2; exit 2; }
[ "$MODE" = wrk ] || [ "$MODE" = simplejwt ] || { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ -x "$BIN/reference-server" ] && [ -x "$BIN/jwt-conformance" ] ||
    die "no release binaries in $BIN: cargo build --release -p reference-server -p conformance"
[ "$MODE" != wrk ] || command -v wrk >/dev/null || die "wrk not found (Debian: apt-get install wrk)"

WORK=$(mktemp -d)
chmod 700 "$WORK"
SERVER_PID=""
SIMPLEJWT=""
cleanup() {
    [ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true
    [ -z "$SIMPLEJWT" ] || "$ROOT/interop/simplejwt/run.sh" stop --port "$SIMPLEJWT" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for URL: until it answers any HTTP status (at most 10 s).
wait_for() {
    i=0
    until curl -s -o /dev/null "$1"; do
        i=$((i + 1))
        [ "$i" -lt 100 ] || die "$1 did not answer within 10 s"
        sleep 0.1
    done
}

# access_token BASE_URL: logs in as alice at /gettoken/ (never printed).
access_token() {
    curl -s -X POST -H 'Content-Type: application/json' \
        -d "{\"username\":\"alice\",\"password\":\"$PASSWORD\"}" "$1/gettoken/" |
        sed -n 's/.*"access": *"\([^"]*\)".*/\1/p'
}

# load BASE_URL: one load-command run; prints its 2xx requests per second.
load() {
    "$BIN/jwt-conformance" load --base-url "$1" --login alice --password "$PASSWORD" \
        --endpoint verify --connections "$CONNECTIONS" --duration "${DURATION}s" --tokens 1 \
        --quiet --json "$WORK/load.json" >"$WORK/load.txt"
    sed -n 's/^  "ok_rps": \([0-9.]*\).*/\1/p' "$WORK/load.json"
}

# wrk_rps BASE_URL: one wrk run with the same request; prints its requests per second.
wrk_rps() {
    wrk -t "$(nproc)" -c "$CONNECTIONS" -d "${DURATION}s" -s "$WORK/verify.lua" "$1/verifytoken/" \
        >"$WORK/wrk.txt"
    if grep -q 'Non-2xx' "$WORK/wrk.txt"; then
        die "wrk saw non-2xx responses: $(grep 'Non-2xx' "$WORK/wrk.txt")"
    fi
    sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$WORK/wrk.txt"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

PORT=$(free_port)
RUST_LOG=warn "$BIN/reference-server" --bind "127.0.0.1:$PORT" \
    --user "alice:alice@example.com:$PASSWORD" --access-lifetime 1h --refresh-lifetime 2h \
    >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
REFERENCE="http://127.0.0.1:$PORT"
wait_for "$REFERENCE/gettoken/"

if [ "$MODE" = wrk ]; then
    TOKEN=$(access_token "$REFERENCE")
    [ -n "$TOKEN" ] || die "cannot log in to $REFERENCE"
    umask 077
    cat >"$WORK/verify.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"token":"$TOKEN"}'
EOF
    A=load B=wrk
else
    OUT=$("$ROOT/interop/simplejwt/run.sh" start) || die "cannot start the simplejwt peer"
    SIMPLEJWT_URL=${OUT#BASE_URL=}
    SIMPLEJWT=${SIMPLEJWT_URL##*:}
    A=reference B=simplejwt
fi

printf 'round | %s req/s | %s req/s\n' "$A" "$B"
: >"$WORK/a" && : >"$WORK/b"
r=1
while [ "$r" -le "$ROUNDS" ]; do
    if [ "$MODE" = wrk ]; then
        a=$(load "$REFERENCE")
        b=$(wrk_rps "$REFERENCE")
    else
        a=$(load "$REFERENCE")
        b=$(load "$SIMPLEJWT_URL")
    fi
    echo "$a" >>"$WORK/a"
    echo "$b" >>"$WORK/b"
    printf '%s | %.0f | %.0f\n' "$r" "$a" "$b"
    r=$((r + 1))
done
ma=$(median <"$WORK/a")
mb=$(median <"$WORK/b")
printf 'median | %.0f | %.0f\n' "$ma" "$mb"
awk -v a="$ma" -v b="$mb" -v A="$A" -v B="$B" 'BEGIN { printf "ratio %s / %s: %.2fx\n", A, B, a / b }'
