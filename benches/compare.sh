#!/bin/sh
# Side-by-side load runs in separate processes, alternating the sides so that a noisy
# neighbour hurts both alike; prints each run, the medians and their ratio.
#
#   benches/compare.sh http [ROUNDS]       the reference server (default flags and logging)
#                                          vs bare-hyper (a fixed 200), each in its own
#                                          process, driven by wrk (else the load command):
#                                          verify, verify-v1, resource, obtain at 1, 16 and 64
#                                          connections, DURATION 3 s per run; the README's
#                                          HTTP table
#   benches/compare.sh wrk [ROUNDS]        the load command vs wrk, same target, same request:
#                                          POST /verifytoken/, 64 connections, 10 s
#   benches/compare.sh simplejwt [ROUNDS]  the reference server vs stock simplejwt under
#                                          gunicorn (interop/simplejwt), both measured by the
#                                          load command: POST /verifytoken/, 64 connections, 10 s
#
# Build first: cargo build --release -p reference-server -p conformance -p benches
# Environment: ROUNDS (3), CONNECTIONS (64; http: "1 16 64"), DURATION (seconds; http: 3),
# ENDPOINTS (http: "verify verify-v1 resource obtain"), GENERATOR (http: wrk or load; wrk
# when installed), RUST_LOG (http: passed to the reference server; unset is its default,
# info: one access log line per request), SERVER_CPUS / LOAD_CPUS (taskset -c lists for the
# servers and the generator; unset: not pinned), CARGO_TARGET_DIR.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
MODE=${1:-}
ROUNDS=${2:-${ROUNDS:-3}}
PASSWORD=alice-pass-1

die() { printf 'compare.sh: %s\n' "$*" >&2; exit 2; }
case "$MODE" in
http)
    CONNECTIONS=${CONNECTIONS:-1 16 64}
    DURATION=${DURATION:-3}
    ;;
wrk | simplejwt)
    CONNECTIONS=${CONNECTIONS:-64}
    DURATION=${DURATION:-10}
    ;;
*)
    sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
[ -x "$BIN/reference-server" ] && [ -x "$BIN/jwt-conformance" ] ||
    die "no release binaries in $BIN: cargo build --release -p reference-server -p conformance -p benches"
[ "$MODE" != wrk ] || command -v wrk >/dev/null || die "wrk not found (Debian: apt-get install wrk)"

WORK=$(mktemp -d)
chmod 700 "$WORK"
SERVER_PID=""
BASELINE_PID=""
SIMPLEJWT=""
cleanup() {
    [ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true
    [ -z "$BASELINE_PID" ] || kill "$BASELINE_PID" 2>/dev/null || true
    [ -z "$SIMPLEJWT" ] || "$ROOT/interop/simplejwt/run.sh" stop --port "$SIMPLEJWT" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

. "$HERE/lib.sh"

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


# pinned CPUS COMMAND...: COMMAND under `taskset -c CPUS`, or as it is when CPUS is empty.
pinned() {
    cpus=$1
    shift
    if [ -n "$cpus" ]; then taskset -c "$cpus" "$@"; else "$@"; fi
}

# start_pinned CPUS COMMAND...: as pinned, in the background; $! is the command's own pid.
start_pinned() {
    cpus=$1
    shift
    if [ -n "$cpus" ]; then exec taskset -c "$cpus" "$@"; else exec "$@"; fi
}

# cpu_ticks PID: the user + system time the process has used so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# wrk_script ENDPOINT TOKEN: the Lua script of one endpoint's request (written 0600).
wrk_script() {
    case "$1" in
    verify) printf '%s\n' 'wrk.method = "POST"' "wrk.path = \"/verifytoken/\"" \
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"' "wrk.body = \"token=$2\"" ;;
    verify-v1) printf '%s\n' 'wrk.method = "POST"' "wrk.path = \"/api/v1/token/verify/\"" \
        'wrk.headers["Content-Type"] = "application/json"' "wrk.body = '{\"token\":\"$2\"}'" ;;
    resource) printf '%s\n' 'wrk.method = "GET"' "wrk.path = \"/api/resource/$RESOURCE_ID/\"" \
        "wrk.headers[\"Authorization\"] = \"Bearer $2\"" ;;
    obtain) printf '%s\n' 'wrk.method = "POST"' "wrk.path = \"/gettoken/\"" \
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"' \
        "wrk.body = \"username=alice&password=$PASSWORD\"" ;;
    esac
}

# http_rps BASE_URL ENDPOINT CONNECTIONS PID: one run; prints its 2xx responses per second,
# and the server's (PID's) CPU time per response in microseconds (user + system, from
# /proc: what a response costs, less disturbed by other load than the rate). Only the login
# (obtain) may answer anything else: 503 once its queue is full.
http_rps() {
    before=$(cpu_ticks "$4")
    run_generator "$@" >"$WORK/rate"
    after=$(cpu_ticks "$4")
    read -r ok total <"$WORK/rate"
    awk -v ok="$ok" -v n="$total" -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%s %.2f\n", ok, (n > 0 ? t * 1e6 / hz / n : 0) }'
}

# run_generator BASE_URL ENDPOINT CONNECTIONS: prints 2xx per second and responses in all.
run_generator() {
    if [ "$GENERATOR" = wrk ]; then
        threads=$(nproc)
        [ "$3" -ge "$threads" ] || threads=$3
        pinned "${LOAD_CPUS:-}" wrk -t "$threads" -c "$3" -d "${DURATION}s" --timeout 10s \
            -s "$WORK/$2.lua" "$1" >"$WORK/wrk.txt"
        if [ "$2" != obtain ] && grep -q 'Non-2xx' "$WORK/wrk.txt"; then
            die "wrk saw non-2xx responses from $1 ($2): $(grep 'Non-2xx' "$WORK/wrk.txt")"
        fi
        awk '/requests in/ { n = $1; t = $4; sub(/,$/, "", t)
                 if (t ~ /ms$/) { sub(/ms$/, "", t); t /= 1000 }
                 else if (t ~ /m$/) { sub(/m$/, "", t); t *= 60 }
                 else sub(/s$/, "", t) }
             /Non-2xx/ { bad = $NF }
             END { printf "%.1f %d\n", (n - bad) / t, n }' "$WORK/wrk.txt"
    else
        pinned "${LOAD_CPUS:-}" "$BIN/jwt-conformance" load --base-url "$1" --login alice \
            --password "$PASSWORD" --endpoint "$2" --connections "$3" --duration "${DURATION}s" \
            --tokens 1 --quiet --json "$WORK/load.json" >"$WORK/load.txt" || true
        printf '%s %s\n' "$(sed -n 's/^  "ok_rps": \([0-9.]*\).*/\1/p' "$WORK/load.json")" \
            "$(sed -n 's/^    "responses": \([0-9]*\).*/\1/p' "$WORK/load.json")"
    fi
}

http_compare() {
    [ -x "$BIN/bare-hyper" ] || die "no $BIN/bare-hyper: cargo build --release -p benches"
    if [ -z "${GENERATOR:-}" ]; then
        if command -v wrk >/dev/null; then GENERATOR=wrk; else GENERATOR=load; fi
    fi
    [ "$GENERATOR" != wrk ] || command -v wrk >/dev/null || die "wrk not found (Debian: apt-get install wrk)"
    ENDPOINTS=${ENDPOINTS:-verify verify-v1 resource obtain}
    PORT=$(free_port)
    (start_pinned "${SERVER_CPUS:-}" "$BIN/reference-server" --bind "127.0.0.1:$PORT" \
        --user "alice:alice@example.com:$PASSWORD" >"$WORK/server.log" 2>&1) &
    SERVER_PID=$!
    REFERENCE="http://127.0.0.1:$PORT"
    BPORT=$(free_port)
    (start_pinned "${SERVER_CPUS:-}" "$BIN/bare-hyper" --bind "127.0.0.1:$BPORT" >/dev/null 2>&1) &
    BASELINE_PID=$!
    BASELINE="http://127.0.0.1:$BPORT"
    wait_for "$REFERENCE/gettoken/"
    wait_for "$BASELINE/"
    umask 077
    TOKEN=$(access_token "$REFERENCE")
    [ -n "$TOKEN" ] || die "cannot log in to $REFERENCE"
    RESOURCE_ID=$(curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d '{"field1":"load","field2":"run"}' "$REFERENCE/api/resource/" | sed -n 's/.*"id": *\([0-9]*\).*/\1/p')
    [ -n "$RESOURCE_ID" ] || die "cannot create a resource on $REFERENCE"
    printf 'generator: %s, %s s per run, %s rounds, alternating; reference RUST_LOG=%s; pinned: servers %s, generator %s\n' \
        "$GENERATOR" "$DURATION" "$ROUNDS" "${RUST_LOG:-unset (info)}" "${SERVER_CPUS:-no}" "${LOAD_CPUS:-no}"
    printf '%s\n' '| endpoint | connections | reference req/s | bare-hyper req/s | reference / bare-hyper | server CPU µs per response, reference / bare-hyper | rounds, req/s (reference/bare-hyper) |' \
        '|---|---:|---:|---:|---:|---:|---|' >"$WORK/table"
    for endpoint in $ENDPOINTS; do
        for c in $CONNECTIONS; do
            # A fresh token per cell: the default access lifetime (5 min) is shorter than a run.
            TOKEN=$(access_token "$REFERENCE")
            [ -n "$TOKEN" ] || die "cannot log in to $REFERENCE"
            wrk_script "$endpoint" "$TOKEN" >"$WORK/$endpoint.lua"
            : >"$WORK/a" && : >"$WORK/b" && : >"$WORK/ca" && : >"$WORK/cb"
            rounds=""
            r=1
            while [ "$r" -le "$ROUNDS" ]; do
                if [ $((r % 2)) -eq 1 ]; then
                    http_rps "$REFERENCE" "$endpoint" "$c" "$SERVER_PID" >"$WORK/ra"
                    http_rps "$BASELINE" "$endpoint" "$c" "$BASELINE_PID" >"$WORK/rb"
                else
                    http_rps "$BASELINE" "$endpoint" "$c" "$BASELINE_PID" >"$WORK/rb"
                    http_rps "$REFERENCE" "$endpoint" "$c" "$SERVER_PID" >"$WORK/ra"
                fi
                read -r a ca <"$WORK/ra"
                read -r b cb <"$WORK/rb"
                echo "$a" >>"$WORK/a" && echo "$ca" >>"$WORK/ca"
                echo "$b" >>"$WORK/b" && echo "$cb" >>"$WORK/cb"
                rounds="$rounds$(printf '%.0f/%.0f ' "$a" "$b")"
                r=$((r + 1))
            done
            ma=$(median <"$WORK/a")
            mb=$(median <"$WORK/b")
            mca=$(median <"$WORK/ca")
            mcb=$(median <"$WORK/cb")
            row=$(awk -v e="$endpoint" -v c="$c" -v a="$ma" -v b="$mb" -v r="$rounds" \
                -v ca="$mca" -v cb="$mcb" \
                'BEGIN { x = (b > 0 ? a / b : 0)
                         printf "| %s | %s | %.0f | %.0f | " (x < 0.1 ? "%.4f" : "%.2f") "x | %.1f / %.1f | %s|", e, c, a, b, x, ca, cb, r }')
            echo "$row"
            echo "$row" >>"$WORK/table"
        done
    done
    echo
    cat "$WORK/table"
    printf '\naccess log lines written by the reference server: %s\n' "$(grep -c '"\{0,1\}request' "$WORK/server.log" || true)"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

if [ "$MODE" = http ]; then
    http_compare
    exit 0
fi

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
