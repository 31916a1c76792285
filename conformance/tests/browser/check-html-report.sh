#!/usr/bin/env bash
# The HTML report in a real browser: a failing run's page is loaded by headless Chromium, once
# whole and once filtered to failures (#failed), and the DOM it renders is checked: the
# failures and their rules are there, the filter hides what passed. Writes a screenshot.
#
#   conformance/tests/browser/check-html-report.sh [SCREENSHOT.png]
#
# Needs Debian's chromium (.ci/run installs it) and `cargo build -p conformance`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
bin=${JWT_CONFORMANCE:-$root/target/debug/jwt-conformance}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "check-html-report: no chromium on PATH" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The bundled reference server speaks the classic dialect on these paths; a profile expecting
# simplejwt there makes a run with real failures.
printf 'base = "classic"\ndialect = "simplejwt"\nname = "classic paths, simplejwt expectations"\n' >"$work/mix.toml"
set +e
"$bin" --profile "$work/mix.toml" --tags '@verifying or @obtaining' --html "$work/report.html" --quiet >"$work/console.txt" 2>&1
code=$?
set -e
[ "$code" = 1 ] || { echo "check-html-report: expected exit 1 from the run, got $code" >&2; cat "$work/console.txt" >&2; exit 1; }

chrome() {
  timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" "$@" 2>/dev/null
}
chrome --dump-dom "file://$work/report.html" >"$work/all.html"
chrome --dump-dom "file://$work/report.html#failed" >"$work/failed.html"

fail() { echo "check-html-report: $*" >&2; exit 1; }
grep -q 'DOES NOT CONFORM' "$work/all.html" || fail "no verdict in the rendered page"
grep -q '<code>VER-2</code>' "$work/all.html" || fail "no rule under the failures"
grep -q 'A valid access token sent as JSON verifies' "$work/all.html" || fail "a failure is missing"
grep -q 'data-filter="failed"' "$work/all.html" || fail "no filter buttons"
# Filtered: every passed scenario is hidden, every failed one shown.
grep -o '<details class="scenario passed"[^>]*>' "$work/failed.html" | grep -vq 'display: none' \
  && fail "the #failed filter shows passed scenarios"
grep -o '<details class="scenario failed"[^>]*>' "$work/failed.html" | grep -q 'display: block' \
  || fail "the #failed filter hides the failures"
if [ $# -ge 1 ]; then
  chrome --window-size=1200,1400 --screenshot="$1" "file://$work/report.html" >/dev/null
fi
echo "check-html-report: the HTML report renders in $("$browser" --version 2>/dev/null | head -1): failures, rules and filters present"
