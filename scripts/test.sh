#!/usr/bin/env bash
# Sets everything up and runs every test: typecheck, build, unit tests, then the lab tests (real kubectl,
# real containers). Ends with one line "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"   # Node 24 for everything below

tsc --noEmit -p .
npm run -s build
# The lab's images (Go stand-ins, busybox-based model images) are built once into .lab/cache: a cold
# build takes longer than `lab up` waits.
npm run -s lab -- image prepare

report=$(mktemp -d)/vitest.json
status=0
vitest run --reporter=default --reporter=json --outputFile.json="$report" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
' "$report" || status=1
exit $status
