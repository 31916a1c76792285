#!/usr/bin/env bash
# The suite as a user outside this repository gets it: `cargo package` of both crates (the
# features and the contract must reach the packaged crate), the packaged `conformance` crate
# installed into an empty directory, and that binary, run with an empty environment, checking a
# reference server started on its own. Fails on the first error.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo package -p reference-server -p conformance
tar xzf target/package/conformance-0.1.0.crate -C "$work"
for f in CONTRACT.md features/token_headers.feature; do
  [ -f "$work/conformance-0.1.0/$f" ] || { echo "package-check: $f is not in the packaged crate" >&2; exit 1; }
done
# The bundled server is a feature; an installed suite checks servers given with --base-url.
# (Not --locked: the packaged lock file names reference-server, which is not on crates.io. Its
# own target directory: this build, without the bundled server, must not replace the
# workspace's target/debug/jwt-conformance.)
cargo install --debug --no-default-features \
  --path "$work/conformance-0.1.0" --root "$work/installed" --target-dir target/package-check
bin="$work/installed/bin/jwt-conformance"
mkdir "$work/empty"

key=package-check-signing-key-0123456789abcdef
cargo build -p reference-server
target/debug/reference-server --bind 127.0.0.1:0 --signing-key "$key" \
  --user alice:alice@example.com:alice-pass-1 --user bob:bob@example.com:bob-pass-1:inactive \
  >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'listening on http://[0-9.:]*' "$work/server.out" | head -1 | sed 's/listening on //' || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "package-check: the reference server did not start" >&2; cat "$work/server.log" >&2; exit 1; }

cd "$work/empty"
env -i "$bin" --version
env -i "$bin" --base-url "$url" --login alice --password alice-pass-1 \
  --inactive-login bob --inactive-password bob-pass-1 --inactive-user-id 2 \
  --signing-key "$key" --json report.json --quiet >console.txt 2>&1 \
  || { echo "package-check: the installed suite did not pass the reference server" >&2; tail -40 console.txt >&2; exit 1; }
tail -1 console.txt
echo "package-check: the packaged suite, installed into an empty directory, checks the reference server (exit 0)"
