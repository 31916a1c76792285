#!/bin/sh
# Where a verify request's time goes, layer by layer, measured natively in separate processes.
# Builds the reference server from HEAD once per variant (in a temporary worktree, target
# directory target/layers; by default four times): as it is, with `POST /verifytoken/`
# answered a fixed 200 at two depths, and without warp's filter chain (the patches below),
# and, when asked, without LTO; then drives each, and bare-hyper, with wrk
# in its own process, one signing key for all: POST
# /verifytoken/ with a form body, CONNECTIONS keep-alive connections, DURATION s per run, ROUNDS
# rounds with the order rotated. Reports medians of req/s, of the server's CPU time per
# response (user and system, from /proc/PID/stat) and of its context switches per response
# (all its threads, from /proc/PID/task/*/status).
#
#   benches/layers.sh [ROUNDS]          default 5
#
#   connection   the accept loop, the connection's timeouts and the guard (server.rs); the
#                guard answers before warp is called
#   + warp       warp's filter chain, reading the request (headers, body under the limit), the
#                access log; `routes::dispatch` answers before any view
#   full         the view: body decoding, token verification, the reply
#   direct       all of full's work, the request read by a hyper service that calls
#                `routes::dispatch` directly instead of warp's filter chain: what leaving warp
#                would win (the server is specified as a warp server; this is a measurement)
#   no-lto       (only when VARIANTS names it) full's code, built without the release
#                profile's whole-program optimisation (CARGO_PROFILE_RELEASE_LTO=false
#                CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16, target directory
#                target/layers-no-lto): what `lto = "fat"` and one codegen unit win
#
# The answers are the same bytes (status, headers, body). Nothing here is a feature of
# the server: the patches exist only in the temporary worktree.
# Needs wrk (Debian: apt-get install wrk) and git. Environment: ROUNDS (5), CONNECTIONS (64),
# DURATION (5), VARIANTS (the variants besides bare and full: "connection warp direct"; add
# no-lto to measure the build settings), RUST_LOG (passed to every variant; unset is their
# default, info, with the access log), CARGO_TARGET_DIR (where bare-hyper is: cargo build
# --release -p benches).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
ROUNDS=${1:-${ROUNDS:-5}}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-5}
VARIANTS=${VARIANTS:-connection warp direct}
PASSWORD=alice-pass-1

die() { printf 'layers.sh: %s\n' "$*" >&2; exit 2; }
for variant in $VARIANTS; do
    case "$variant" in
    connection | warp | direct | no-lto) ;;
    *) die "unknown variant in VARIANTS: $variant (connection, warp, direct, no-lto)" ;;
    esac
done
# Every server, layer by layer: bare hyper, the listed variants, the server as shipped.
LAYERS=bare
for variant in connection warp full direct no-lto; do
    case " full $VARIANTS " in *" $variant "*) LAYERS="$LAYERS $variant" ;; esac
done
command -v wrk >/dev/null || die "wrk not found (Debian: apt-get install wrk)"
[ -x "$BIN/bare-hyper" ] || die "no $BIN/bare-hyper: cargo build --release -p benches"

WORK=$(mktemp -d)
chmod 700 "$WORK"
TREE="$WORK/tree"
PIDS=""
cleanup() {
    for pid in $PIDS; do kill "$pid" 2>/dev/null || true; done
    git -C "$ROOT" worktree remove --force "$TREE" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The guard answers the verify path itself.
cat >"$WORK/connection.patch" <<'EOF'
--- a/reference-server/src/server.rs
+++ b/reference-server/src/server.rs
@@ -499,6 +499,13 @@ where
 
     fn call(&self, request: Request<B>) -> Answer {
         let in_service = InService::enter(&self.conn);
+        if request.uri().path() == "/verifytoken/" {
+            return Box::pin(async move {
+                drop(in_service);
+                let valid = r#"{"status":"valid"}"#;
+                Ok(crate::reply::with_view_headers(crate::reply::json_text(warp::http::StatusCode::OK, valid), "POST, OPTIONS"))
+            });
+        }
         if let Some(refused) = refuse(&request) {
             // The path only: a query string may carry a token.
             tracing::info!(
EOF
# The routing table answers the verify path before any view.
cat >"$WORK/warp.patch" <<'EOF'
--- a/reference-server/src/routes.rs
+++ b/reference-server/src/routes.rs
@@ -58,6 +58,10 @@ pub fn routes(
 /// `--cors-origin`, a preflight from a listed origin is answered before that, and the
 /// response to any request with an `Origin` is marked for CORS ([`cors::mark`]).
 pub async fn dispatch(path: &str, query: &str, request: Incoming) -> Response {
+    if path == "/verifytoken/" {
+        let valid = r#"{"status":"valid"}"#;
+        return reply::with_view_headers(reply::json_text(StatusCode::OK, valid), "POST, OPTIONS");
+    }
     let origin = request.state.cors().origin_of(&request.headers);
     if let (RequestOrigin::Listed(origin), Some(allow)) = (&origin, allow_of(path))
         && cors::is_preflight(&request.method, &request.headers)
EOF

# warp's filter chain replaced by a hyper service: headers moved, not copied.
cat >"$WORK/direct.patch" <<'EOF'
--- a/reference-server/src/server.rs
+++ b/reference-server/src/server.rs
@@ -18,7 +18,6 @@ use futures_util::FutureExt as _;
 use hyper::body::Incoming;
 use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
 use hyper_util::server::conn::auto;
-use hyper_util::service::TowerToHyperService;
 use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
 use tokio::net::{TcpListener, TcpStream};
 use tokio::sync::{Semaphore, watch};
@@ -33,7 +32,6 @@ use warp::reply::Response;
 use crate::error::ApiError;
 use crate::handlers::health;
 use crate::log_format::ACCESS;
-use crate::routes::routes;
 use crate::state::AppState;
 
 /// How long each phase of a connection may take, and how many connections there may be.
@@ -64,7 +62,29 @@ where
     F: Future<Output = ()> + Send,
 {
     let limits = Arc::new(limits);
-    let service = TowerToHyperService::new(warp::service(routes(state)));
+    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
+        let state = state.clone();
+        async move {
+            use hyper::body::Body as _;
+            let (parts, mut body) = request.into_parts();
+            let data = futures_util::stream::poll_fn(move |cx| loop {
+                match Pin::new(&mut body).poll_frame(cx) {
+                    Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
+                        Ok(data) => return Poll::Ready(Some(Ok::<_, hyper::Error>(data))),
+                        Err(_) => continue,
+                    },
+                    Poll::Ready(Some(Err(err))) => return Poll::Ready(Some(Err(err))),
+                    Poll::Ready(None) => return Poll::Ready(None),
+                    Poll::Pending => return Poll::Pending,
+                }
+            });
+            let (limit, within) = (state.max_body_bytes(), state.body_read_timeout());
+            let body = crate::body::read(&parts.headers, data, limit, within).await;
+            let query = parts.uri.query().unwrap_or("");
+            let request = crate::request::Incoming { state, method: parts.method, headers: parts.headers, body };
+            Ok::<_, Infallible>(crate::routes::dispatch(parts.uri.path(), query, request).await)
+        }
+    });
     let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
     let (stop, stopping) = watch::channel(false);
     let mut connections = JoinSet::new();
EOF

git -C "$ROOT" worktree add --detach "$TREE" HEAD >/dev/null 2>&1 || die "cannot add a worktree of HEAD"
export CARGO_TARGET_DIR="$ROOT/target/layers"
build() {
    printf 'building the %s variant...\n' "$1" >&2
    (cd "$TREE" && cargo build --release --quiet -p reference-server) ||
        die "the $1 variant does not build"
    cp "$CARGO_TARGET_DIR/release/reference-server" "$WORK/$1"
}
build full
for layer in $VARIANTS; do
    if [ "$layer" = no-lto ]; then
        # Its own target directory: a change of profile rebuilds every dependency.
        (
            export CARGO_TARGET_DIR="$ROOT/target/layers-no-lto" CARGO_PROFILE_RELEASE_LTO=false \
                CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
            build no-lto
        ) || exit 2
        continue
    fi
    git -C "$TREE" apply "$WORK/$layer.patch" ||
        die "$layer.patch no longer applies to HEAD: update it in benches/layers.sh"
    build "$layer"
    git -C "$TREE" checkout --quiet -- reference-server/src
done

. "$HERE/lib.sh"

# One signing key for every variant, so that one token is valid on all (never printed).
SIGNING_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')

# start NAME: starts that server on a free port; sets URL and PID.
start() {
    port=$(free_port)
    if [ "$1" = bare ]; then
        "$BIN/bare-hyper" --bind "127.0.0.1:$port" >/dev/null 2>&1 &
    else
        SIGNING_KEY=$SIGNING_KEY "$WORK/$1" --bind "127.0.0.1:$port" \
            --user "alice:alice@example.com:$PASSWORD" >/dev/null 2>"$WORK/$1.log" &
    fi
    PID=$!
    PIDS="$PIDS $PID"
    URL="http://127.0.0.1:$port"
    wait_for "$URL/"
}

# The shell variables of a variant: no-lto's are URL_no_lto and PID_no_lto.
var() { printf '%s' "$1" | tr - _; }
for layer in $LAYERS; do
    start "$layer"
    eval "URL_$(var "$layer")=\$URL PID_$(var "$layer")=\$PID"
done
umask 077
TOKEN=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d "{\"username\":\"alice\",\"password\":\"$PASSWORD\"}" "$URL_full/gettoken/" |
    sed -n 's/.*"access": *"\([^"]*\)".*/\1/p')
[ -n "$TOKEN" ] || die "cannot log in to the full server"
printf '%s\n' 'wrk.method = "POST"' \
    'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"' \
    "wrk.body = \"token=$TOKEN\"" >"$WORK/verify.lua"

user_ticks() { awk '{ print $14 }' "/proc/$1/stat"; }
system_ticks() { awk '{ print $15 }' "/proc/$1/stat"; }
switches() { cat /proc/"$1"/task/*/status | awk '/ctxt_switches/ { s += $2 } END { print s }'; }

# run LAYER: one wrk run; appends req/s, user and system CPU µs and context switches per
# response to LAYER's files.
run() {
    eval "url=\$URL_$(var "$1") pid=\$PID_$(var "$1")"
    u0=$(user_ticks "$pid")
    k0=$(system_ticks "$pid")
    s0=$(switches "$pid")
    wrk -t 2 -c "$CONNECTIONS" -d "${DURATION}s" --timeout 10s -s "$WORK/verify.lua" \
        "$url/verifytoken/" >"$WORK/wrk.txt"
    u1=$(user_ticks "$pid")
    k1=$(system_ticks "$pid")
    s1=$(switches "$pid")
    ! grep -q 'Non-2xx' "$WORK/wrk.txt" || die "$1: $(grep 'Non-2xx' "$WORK/wrk.txt")"
    n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$WORK/wrk.txt")
    sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$WORK/wrk.txt" >>"$WORK/$1.rps"
    hz=$(getconf CLK_TCK)
    awk -v t=$((u1 - u0)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.2f\n", t * 1e6 / hz / n }' >>"$WORK/$1.user"
    awk -v t=$((k1 - k0)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.2f\n", t * 1e6 / hz / n }' >>"$WORK/$1.sys"
    awk -v s=$((s1 - s0)) -v n="$n" 'BEGIN { printf "%.3f\n", s / n }' >>"$WORK/$1.cs"
}

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf 'wrk -t2 -c%s -d%ss, POST /verifytoken/, %s rounds, order rotated; load average %s\n' \
    "$CONNECTIONS" "$DURATION" "$ROUNDS" "$(cut -d' ' -f1-3 /proc/loadavg)"
order=$LAYERS
r=1
while [ "$r" -le "$ROUNDS" ]; do
    for layer in $order; do run "$layer"; done
    printf 'round %s: %s\n' "$r" "$(for l in $LAYERS; do printf '%s %.0f  ' "$l" "$(tail -n 1 "$WORK/$l.rps")"; done)"
    # The next round starts with the second server of this one.
    order="${order#* } ${order%% *}"
    r=$((r + 1))
done
bare=$(median "$WORK/bare.rps")
printf '\n| layer | req/s | of bare hyper | server CPU µs per response, user + system | context switches per response |\n|---|---:|---:|---:|---:|\n'
for layer in $LAYERS; do
    awk -v l="$layer" -v r="$(median "$WORK/$layer.rps")" -v b="$bare" \
        -v u="$(median "$WORK/$layer.user")" -v k="$(median "$WORK/$layer.sys")" \
        -v s="$(median "$WORK/$layer.cs")" \
        'BEGIN { printf "| %s | %.0f | %.2fx | %.1f + %.1f | %.3f |\n", l, r, r / b, u, k, s }'
done
printf '\nload average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
