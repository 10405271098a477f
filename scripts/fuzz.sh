#!/usr/bin/env bash
# Runs every Go fuzz target in the module for $FUZZTIME (default 10s) each.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10s}
status=0
while IFS= read -r file; do
  dir=$(dirname "$file")
  for fn in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    echo "== ./$dir $fn ($FUZZTIME)"
    if ! go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" "./$dir"; then
      status=1
    fi
  done
done < <(git ls-files '*_test.go' 2>/dev/null || find . -name '*_test.go')
exit $status
