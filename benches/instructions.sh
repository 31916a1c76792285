#!/bin/sh
# Instructions per request of the release reference server, counted by callgrind (exact and
# repeatable on a noisy machine, unlike req/s): the server runs under
# `valgrind --tool=callgrind`; for each endpoint the load command sends REQUESTS requests, then
# 2 x REQUESTS, with the counters zeroed before and dumped after each run. Both runs pay the
# same preparation (one login, one probe), so the difference divided by REQUESTS is the cost of
# one request, everything in the server's process included (hyper, tokio, the access log).
#
#   benches/instructions.sh [ENDPOINT...]    default: verify verify-v1 resource
#
# Build first: cargo build --release -p reference-server -p conformance -p benches
# Environment: REQUESTS (2000), CONNECTIONS (16), RUST_LOG (passed to the server; unset is its
# default, info, with the access log), SERVER_ARGS (more reference-server flags), SERVER
# (bare-hyper: count the baseline's instructions instead, for the floor),
# KEEP (a directory to keep the callgrind dumps in, for callgrind_annotate), CARGO_TARGET_DIR.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
REQUESTS=${REQUESTS:-2000}
CONNECTIONS=${CONNECTIONS:-16}
PASSWORD=alice-pass-1
ENDPOINTS=${*:-verify verify-v1 resource}

die() { printf 'instructions.sh: %s\n' "$*" >&2; exit 2; }
command -v valgrind >/dev/null || die "valgrind not found (Debian: apt-get install valgrind)"
[ -x "$BIN/reference-server" ] && [ -x "$BIN/jwt-conformance" ] ||
    die "no release binaries in $BIN: cargo build --release -p reference-server -p conformance"

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    [ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

. "$HERE/lib.sh"
PORT=$(free_port)
if [ "${SERVER:-reference-server}" = bare-hyper ]; then
    set -- "$BIN/bare-hyper" --bind "127.0.0.1:$PORT"
else
    # shellcheck disable=SC2086 # SERVER_ARGS is a list of flags
    set -- "$BIN/reference-server" --bind "127.0.0.1:$PORT" \
        --user "alice:alice@example.com:$PASSWORD" ${SERVER_ARGS:-}
fi
[ -x "$1" ] || die "no $1: cargo build --release -p benches"
valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$WORK/callgrind.out.%p" \
    --log-file="$WORK/valgrind.log" "$@" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
BASE="http://127.0.0.1:$PORT"
wait_for "$BASE/gettoken/" 60

# instructions N ENDPOINT: the server's instructions while the load command sends N requests.
instructions() {
    callgrind_control -z "$SERVER_PID" >/dev/null 2>&1
    "$BIN/jwt-conformance" load --base-url "$BASE" --login alice --password "$PASSWORD" \
        --endpoint "$2" --connections "$CONNECTIONS" --max-requests "$1" --duration 600s \
        --tokens 1 --quiet --json "$WORK/load.json" >/dev/null
    ok=$(sed -n 's/^ *"ok": \([0-9]*\).*/\1/p' "$WORK/load.json")
    [ "$ok" = "$1" ] || die "$2: $ok of $1 requests answered 2xx"
    rm -f "$WORK"/callgrind.out.*
    callgrind_control -d "$SERVER_PID" >/dev/null 2>&1
    # The dump is written by the server's process: wait for its totals line.
    i=0
    until total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$WORK"/callgrind.out.* 2>/dev/null | tail -n 1) &&
        [ -n "$total" ]; do
        i=$((i + 1))
        [ "$i" -lt 300 ] || die "no callgrind dump"
        sleep 0.1
    done
    if [ -n "${KEEP:-}" ]; then
        mkdir -p "$KEEP"
        cp "$WORK"/callgrind.out.* "$KEEP/callgrind.$2.$1.out"
    fi
    echo "$total"
}

printf '%s under callgrind: RUST_LOG=%s, %s connections, %s requests per run\n' \
    "${SERVER:-reference-server}" "${RUST_LOG:-unset (info)}" "$CONNECTIONS" "$REQUESTS"
printf '| endpoint | instructions per request |\n|---|---:|\n'
for endpoint in $ENDPOINTS; do
    # A first run warms the connections' code paths and the allocator up.
    instructions "$REQUESTS" "$endpoint" >/dev/null
    one=$(instructions "$REQUESTS" "$endpoint")
    two=$(instructions $((2 * REQUESTS)) "$endpoint")
    awk -v e="$endpoint" -v a="$one" -v b="$two" -v n="$REQUESTS" \
        'BEGIN { printf "| %s | %.0f |\n", e, (b - a) / n }'
done
