#!/usr/bin/env bash
# The HTML reports in a real browser (headless Chromium):
# - a failing run's page, once whole and once filtered to failures (#failed): the failures and
#   their rules are there, the filter hides what passed;
# - a load run's page (load --html): both charts are laid out with their lines drawn (sizes read
#   from the rendered SVG by a checking page around it), and the page logs nothing to the console;
# - examples/frontend/index.html served on one origin, calling a reference server on another:
#   with --cors-origin for that origin it logs in and reads the resources; without, the browser
#   refuses.
# Writes screenshots when asked (CHECK_LOAD_DURATION: the load run, 2s by default).
#
#   conformance/tests/browser/check-html-report.sh [SCREENSHOT.png [LOAD-SCREENSHOT.png]]
#
# Needs Debian's chromium (.ci/run installs it), python3, and `cargo build -p conformance -p
# reference-server` (`cargo test --workspace` builds both).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
bin=${JWT_CONFORMANCE:-$target/debug/jwt-conformance}
server_bin=${REFERENCE_SERVER:-$target/debug/reference-server}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "check-html-report: no chromium on PATH" >&2; exit 2; }
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

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

# --- The load report: charts rendered, no console message.
"$bin" load --duration "${CHECK_LOAD_DURATION:-2s}" --connections 4 --html "$work/load.html" --quiet >"$work/load.txt" 2>&1 \
  || { cat "$work/load.txt" >&2; fail "the load run failed"; }
cat >"$work/check-load.html" <<'HTML'
<!doctype html><html><body><pre id="result">pending</pre>
<iframe id="page" src="load.html" width="1100" height="1400"></iframe>
<script>
document.getElementById('page').addEventListener('load', function () {
  var out = [];
  try {
    var doc = this.contentDocument;
    var charts = doc.querySelectorAll('svg.chart');
    out.push('charts=' + charts.length);
    charts.forEach(function (svg, i) {
      var box = svg.getBoundingClientRect();
      out.push('chart' + i + '=' + Math.round(box.width) + 'x' + Math.round(box.height));
    });
    doc.querySelectorAll('polyline.series').forEach(function (line) {
      var b = line.getBBox();
      out.push(line.getAttribute('class').replace('series ', '') + '=' + Math.round(b.width) +
               'x' + Math.round(b.height) + ':' + line.points.numberOfItems);
    });
    out.push('ticks=' + doc.querySelectorAll('text.tick').length);
  } catch (err) { out.push('error=' + err); }
  document.getElementById('result').textContent = out.join(' ');
});
</script></body></html>
HTML
chrome_logged() { # the page's console messages go to $work/console.log
  timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --enable-logging=stderr --v=0 "$@" 2>"$work/console.log"
}
chrome_logged --allow-file-access-from-files --virtual-time-budget=3000 \
  --dump-dom "file://$work/check-load.html" >"$work/load-dom.html"
rendered=$(grep -o '<pre id="result">[^<]*' "$work/load-dom.html" | sed 's/.*>//')
echo "check-html-report: load page as rendered: $rendered"
[[ $rendered == *charts=2* ]] || fail "the load page does not have two charts: $rendered"
for chart in chart0 chart1; do
  [[ $rendered =~ $chart=([0-9]+)x([0-9]+) ]] || fail "$chart has no size: $rendered"
  (( BASH_REMATCH[1] >= 300 && BASH_REMATCH[2] >= 150 )) || fail "$chart is too small: $rendered"
done
for line in raw corrected throughput; do
  [[ $rendered =~ (^| )$line=([0-9]+)x([0-9]+):([0-9]+) ]] || fail "no $line line: $rendered"
  (( BASH_REMATCH[2] > 0 && BASH_REMATCH[4] >= 2 )) || fail "the $line line is not drawn: $rendered"
done
[[ $rendered =~ ticks=([0-9]+) ]] && (( BASH_REMATCH[1] >= 8 )) || fail "too few axis ticks: $rendered"
chrome_logged --dump-dom "file://$work/load.html" >/dev/null
if grep -q ':CONSOLE' "$work/console.log"; then
  grep ':CONSOLE' "$work/console.log" >&2
  fail "the load page logs to the console"
fi
if [ $# -ge 2 ]; then
  chrome --window-size=1000,1220 --screenshot="$2" "file://$work/load.html" >/dev/null
fi
echo "check-html-report: the load report renders: two charts with their lines, no console message"

# --- The example frontend on its own origin against the reference server, with and without CORS.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
front_port=$(free_port)
python3 -m http.server "$front_port" --bind 127.0.0.1 --directory "$root/examples/frontend" \
  >"$work/http.log" 2>&1 &
pids+=($!)
start_server() { # start_server NAME [ARGS...]: prints the base URL once it listens
  local name=$1; shift
  "$server_bin" --bind 127.0.0.1:0 "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 100); do
    if grep -q '^listening on ' "$work/$name.out"; then
      sed -n 's/^listening on //p' "$work/$name.out"
      return
    fi
    sleep 0.1
  done
  cat "$work/$name.err" >&2
  fail "the reference server ($name) did not start"
}
with_cors=$(start_server cors --cors-origin "http://127.0.0.1:$front_port")
without=$(start_server plain)
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$front_port/')" 2>/dev/null && break
  sleep 0.1
done
frontend_status() { # the status line the page shows after logging in against $1
  chrome --virtual-time-budget=8000 --dump-dom \
    "http://127.0.0.1:$front_port/index.html?server=$1#demo" | grep -o '<p id="status"[^<]*'
}
status=$(frontend_status "$with_cors")
[[ $status == *'class="ok"'*'GET /api/resource/: 0 resources'* ]] \
  || fail "the frontend could not log in and read with --cors-origin: $status"
status=$(frontend_status "$without")
[[ $status == *'class="bad"'*'Request failed'* ]] \
  || fail "without --cors-origin the browser should refuse the frontend's request: $status"
grep -q 'method=OPTIONS path=/gettoken/ status=204' "$work/cors.err" || fail "no preflight reached the server"
echo "check-html-report: examples/frontend logs in through CORS with --cors-origin, and is refused without"
