#!/usr/bin/env bash
# The conformance suite against stock djangorestframework-simplejwt, in the configurations CI
# checks. Fails if any scenario fails that known-failures.toml does not list.
#
#   interop/simplejwt/check.sh            (after `cargo build -p conformance`)
#
# Environment: JWT_CONFORMANCE (the binary; default target/debug/jwt-conformance),
# REPORTS (where the JSON/JUnit reports go; default reports/interop).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${JWT_CONFORMANCE:-$root/target/debug/jwt-conformance}
reports=${REPORTS:-$root/reports/interop}
key=interop-signing-key-0f9e8d7c6b5a4f3e2d1c0b9a
[ -x "$bin" ] || { echo "check.sh: no $bin: run 'cargo build -p conformance' first" >&2; exit 2; }
mkdir -p "$reports"
trap '"$here/run.sh" stop >/dev/null 2>&1 || true' EXIT

"$here/run.sh" setup >&2

# gunicorn runs 3 sync workers: lifetimes long enough for its latency under the suite's load.
lifetimes=(--access-seconds 6 --refresh-seconds 12 --signing-key "$key")
# --request-timeout: 3 sync workers checking PBKDF2 passwords (about 1 s each) queue a login
# behind the others; on a loaded machine that wait passed the default 10 s (a false "hang").
common=(--known-failures "$here/known-failures.toml" --max-wait 20s --concurrency 8 --request-timeout 30s)
email_account=(--login alice@example.com --password alice-pass-1
  --inactive-login bob@example.com --inactive-password bob-pass-1 --inactive-user-id 2)
username_account=(--login alice --password alice-pass-1
  --inactive-login bob --inactive-password bob-pass-1 --inactive-user-id 2)
status=0

run() {
  local name=$1
  shift
  echo "== interop: $name" >&2
  if ! "$bin" --base-url "$BASE_URL" "${common[@]}" --json "$reports/$name.json" --junit "$reports/$name.xml" "$@"; then
    echo "== interop: $name FAILED" >&2
    status=1
  fi
}

eval "$("$here/run.sh" start "${lifetimes[@]}")"
run doc004-with-key --profile "$here/profiles/doc004.toml" "${email_account[@]}" --signing-key "$key"
run doc004-without-key --profile "$here/profiles/doc004.toml" "${email_account[@]}"
run tutorial-with-key --profile "$here/profiles/tutorial.toml" "${username_account[@]}" --signing-key "$key"
"$here/run.sh" stop >&2

eval "$("$here/run.sh" start "${lifetimes[@]}" --rotate --blacklist)"
run doc004-rotation-blacklist --profile "$here/profiles/doc004-rotation.toml" "${email_account[@]}" --signing-key "$key"
"$here/run.sh" stop >&2

# RS256 with the committed test key pair: the algorithm-confusion scenarios must run and pass.
data=$root/conformance/tests/data
eval "$("$here/run.sh" start --access-seconds 6 --refresh-seconds 12 --algorithm RS256 \
  --private-key-file "$data/rs256-private.pem" --public-key-file "$data/rs256-public.pem")"
run doc004-rs256 --profile "$here/profiles/doc004-rs256.toml" "${email_account[@]}" \
  --signing-key-file "$data/rs256-private.pem" --verifying-key-file "$data/rs256-public.pem"
"$here/run.sh" stop >&2

# Django's default password hasher (PBKDF2, 1,000,000 iterations in 5.2: no PASSWORD_HASHERS is
# set) with short lifetimes: slow logins against tokens that die fast, and no false failure.
eval "$("$here/run.sh" start --access-seconds 3 --refresh-seconds 6 --signing-key "$key")"
run doc004-short-lifetimes --profile "$here/profiles/doc004.toml" "${email_account[@]}" --signing-key "$key"
"$here/run.sh" stop >&2

exit $status
