#!/usr/bin/env bash
# The suite's mutation score against the reference server (README, "Mutation score"). Not run
# by CI: it takes about an hour on two cores. Mutates the files given (paths or globs under
# reference-server/src/, default: the core files), one mutant at a time, and judges each by
# the suite alone (conformance/tests/mutants.rs). JOBS (default 2) mutants run at once; the
# results land in OUT (default mutants.out/ here).
set -euo pipefail
cd "$(dirname "$0")/.."
# cargo-mutants copies the tree, target/ included, into one scratch directory per job; with a
# shared CARGO_TARGET_DIR the copies would overwrite each other's builds.
unset CARGO_TARGET_DIR
if [ $# -eq 0 ]; then
  set -- auth.rs blacklist.rs body.rs fields.rs store.rs 'handlers/*.rs' tokens.rs
fi
files=()
for f in "$@"; do
  case "$f" in
    reference-server/*) files+=(-f "$f") ;;
    *) files+=(-f "reference-server/src/$f") ;;
  esac
done
# The unmutated tree must pass (cargo-mutants' own baseline is skipped: it would run the
# mutated package's unit tests). This also builds target/ that every scratch copy starts from.
cargo test --profile mutants -p conformance --no-default-features --test mutants -- --ignored
exec cargo mutants --baseline=skip --timeout 120 --build-timeout 600 --jobs "${JOBS:-2}" \
  -o "${OUT:-.}" "${files[@]}"
