#!/usr/bin/env bash
# One self-contained binary: jwt-conformance linked statically (glibc, crt-static), stripped,
# copied alone into an empty directory and run with an empty environment — against the
# reference server it bundles (no arguments), and against one started on its own, named
# `localhost` so that the static binary's name lookup is exercised. Checks that it needs no
# loader and no shared library, and that each exit code is 0. Built in its own target
# directory (other RUSTFLAGS would otherwise rebuild the workspace's target/ every time).
# Fails on the first error.
#
#   .ci/static-check.sh            (STATIC_TARGET_DIR: where to build, target/static by default)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
triple=x86_64-unknown-linux-gnu
dir=${STATIC_TARGET_DIR:-$root/target/static}
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "static-check: $*" >&2; exit 1; }

started=$(date +%s)
RUSTFLAGS='-C target-feature=+crt-static' \
  cargo build --release --locked -p conformance --target "$triple" --target-dir "$dir"
echo "static-check: built in $(( $(date +%s) - started )) s"
built="$dir/$triple/release/jwt-conformance"
# No program interpreter and no shared library needed: nothing to find at run time.
# (readelf comes with the linker; `file` is shown when it is installed.)
if readelf -lW "$built" | grep -q 'INTERP'; then fail "the binary asks for a dynamic loader"; fi
needed=$(readelf -dW "$built" | grep 'NEEDED' || true)
[ -z "$needed" ] || fail "the binary needs shared libraries: $needed"
if command -v file >/dev/null 2>&1; then
  kind=$(file -b "$built")
  echo "static-check: file: $kind"
  case "$kind" in
    *"statically linked"* | *"static-pie linked"*) ;;
    *) fail "file does not call the binary static: $kind" ;;
  esac
fi
mkdir "$work/empty"
# What one would ship: without the line tables the release profile keeps for backtraces.
strip -o "$work/empty/jwt-conformance" "$built"
echo "static-check: $(stat -c %s "$built") bytes as built, $(stat -c %s "$work/empty/jwt-conformance") stripped"
cd "$work/empty"

env -i ./jwt-conformance --version
# No arguments: the bundled reference server, both profiles.
env -i ./jwt-conformance --quiet >bundled.txt 2>&1 \
  || { tail -40 bundled.txt >&2; fail "the static binary did not pass its bundled reference server"; }
tail -1 bundled.txt

# A reference server on its own, reached by name.
key=static-check-signing-key-0123456789abcdef
(cd "$root" && cargo build -p reference-server)
server="${CARGO_TARGET_DIR:-$root/target}/debug/reference-server"
"$server" --bind 127.0.0.1:0 --signing-key "$key" \
  --user alice:alice@example.com:alice-pass-1 --user bob:bob@example.com:bob-pass-1:inactive \
  >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/^listening on http:\/\/127\.0\.0\.1://p' "$work/server.out")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/server.log" >&2; fail "the reference server did not start"; }
env -i ./jwt-conformance --base-url "http://localhost:$port" --login alice --password alice-pass-1 \
  --inactive-login bob --inactive-password bob-pass-1 --inactive-user-id 2 \
  --signing-key "$key" --quiet >named.txt 2>&1 \
  || { tail -40 named.txt >&2; fail "the static binary did not pass the reference server at localhost"; }
tail -1 named.txt
env -i ./jwt-conformance load --base-url "http://localhost:$port" --login alice \
  --password alice-pass-1 --duration 1s --connections 2 --quiet >load.txt 2>&1 \
  || { cat load.txt >&2; fail "the static binary's load run against localhost failed"; }
head -2 load.txt
echo "static-check: the static jwt-conformance, alone in an empty directory with an empty environment, passes the bundled and a separate reference server (exit 0)"
