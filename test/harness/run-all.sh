#!/usr/bin/env bash
# The test command (`npm test`): everything a change must pass, against real servers.
#   1. installs missing Debian packages (as root; says what it installs),
#   2. builds every project with `tsc -b` (the type-check: a broken build is a red run),
#   3. starts throwaway PostgreSQL and Redis through deploy/services.sh on test ports,
#   4. runs every compiled test file (unit, integration, lint, proto drift) with node's test runner,
#   5. stops what it started, and ends with a `N passed, N failed` line; exit status non-zero on any failure.
# Environment: ESXBACKUP_TEST_PG_PORT / ESXBACKUP_TEST_REDIS_PORT move the test servers;
# ESXBACKUP_TEST_FILES limits the run to the given compiled test files (space separated).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

bash deploy/install-packages.sh tests || exit 1

echo "== build (tsc -b)"
if ! npx --no-install tsc -b; then
  echo "build failed: fix the type errors above"
  echo "0 passed, 1 failed"
  exit 1
fi

state_dir=$(mktemp -d "${TMPDIR:-/tmp}/esxbackup-test.XXXXXX")
pg_port=${ESXBACKUP_TEST_PG_PORT:-55433}
redis_port=${ESXBACKUP_TEST_REDIS_PORT:-56380}
cleanup() {
  bash deploy/services.sh stop --state-dir "$state_dir" --pg-port "$pg_port" --redis-port "$redis_port" >/dev/null 2>&1
  rm -rf "$state_dir"
}
trap cleanup EXIT
echo "== services"
if ! bash deploy/services.sh start --throwaway --state-dir "$state_dir" --pg-port "$pg_port" --redis-port "$redis_port"; then
  echo "0 passed, 1 failed"
  exit 1
fi
eval "$(bash deploy/services.sh env --state-dir "$state_dir" --pg-port "$pg_port" --redis-port "$redis_port")"
export DATABASE_URL REDIS_URL

if [ -n "${ESXBACKUP_TEST_FILES:-}" ]; then
  read -r -a files <<<"$ESXBACKUP_TEST_FILES"
else
  mapfile -t files < <(find packages proto test -path '*/node_modules' -prune -o -path '*/dist/*' -name '*.test.js' -print | sort)
fi
echo "== tests (${#files[@]} files)"
tap=$state_dir/results.tap
node --test --test-timeout=600000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  "${files[@]}"
status=$?

passed=$(awk '/^# pass /{print $3}' "$tap" | tail -n1)
failed=$(awk '/^# fail /{print $3}' "$tap" | tail -n1)
passed=${passed:-0}
failed=${failed:-0}
# A runner that died before reporting must not look green.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
cleanup
trap - EXIT
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
