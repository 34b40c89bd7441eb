#!/usr/bin/env bash
# The security team's checks on the Rego, run by `make test`: formatting, strict
# type checking against the input schema, unit tests with a coverage floor, and
# the Regal linter with the project's rules. Every tool comes from Go modules
# (`go tool`), so nothing is downloaded as a binary.
set -euo pipefail
cd "$(dirname "$0")/.."

COVERAGE_MIN="${COVERAGE_MIN:-100}"
opa() { go tool opa "$@"; }

echo "== opa fmt"
opa fmt --list --fail policies policies_test

echo "== opa check --strict (with the input schema)"
opa check --strict --schema policies/schemas policies policies_test

echo "== opa test (coverage >= ${COVERAGE_MIN}%)"
opa test policies policies_test
report=$(mktemp)
trap 'rm -f "$report"' EXIT
opa test --coverage --format=json policies policies_test > "$report"
cov=$(grep -o '"coverage": *[0-9.]*' "$report" | tail -1 | grep -o '[0-9.]*$')
echo "policy line coverage: ${cov}%"
opa test --coverage --threshold "$COVERAGE_MIN" policies policies_test > /dev/null || {
  echo "policy coverage ${cov}% is below ${COVERAGE_MIN}%" >&2
  exit 1
}

echo "== regal lint"
go tool -modfile=tools/regal.mod regal lint --config-file .regal/config.yaml policies policies_test
