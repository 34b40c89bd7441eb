#!/usr/bin/env bash
# The security team's checks on the Rego, run by `make test-policies` and so by
# `make test` in CI: formatting, strict type checking against the input schema,
# the Rego unit tests with a coverage floor, and the Regal linter with the
# project's rules. Every tool is built from Go modules (`go tool`), so nothing
# is downloaded as a binary. Every step runs even after one fails, so that one
# run shows every problem; the script exits 1 and names the failed steps.
#
#   COVERAGE_MIN=100 ./scripts/check-policies.sh
set -uo pipefail
cd "$(dirname "$0")/.."

COVERAGE_MIN="${COVERAGE_MIN:-100}"
SCHEMA=policies/schemas/input.json
PATHS=(policies policies_test)
# Non-bundle loading reads every .json under the paths as data; the engine
# reads only .rego and data.json. The schema and the example inputs are not
# data (the examples would even conflict with each other).
NOT_DATA=(--ignore schemas --ignore examples)

opa() { go tool opa "$@"; }
regal() { go tool -modfile=tools/regal.mod regal "$@"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failed=()
step() {
	local name=$1
	shift
	echo "== $name"
	if ! "$@"; then
		echo "FAILED: $name" >&2
		failed+=("$name")
	fi
}

# opa fmt --list prints the files it would change; --fail makes that an error.
fmt_check() {
	opa fmt --list --fail "${PATHS[@]}" .regal/rules
}

# A schema FILE given to -s types `input` in every module; a directory would
# only name schemas (schema.input) for METADATA `schemas:` annotations, and
# the policy has none, so it must be the file.
check_strict() {
	opa check --strict --schema "$SCHEMA" "${NOT_DATA[@]}" "${PATHS[@]}"
}

unit_tests() {
	opa test "${NOT_DATA[@]}" "${PATHS[@]}"
}

# The threshold counts every line of policies/ and policies_test/; with
# --verbose a miss lists the lines not covered.
coverage() {
	local report=$work/coverage.json
	if ! opa test "${NOT_DATA[@]}" --coverage --threshold "$COVERAGE_MIN" --verbose --format json "${PATHS[@]}" >"$report"; then
		cat "$report"
		return 1
	fi
	awk -v min="$COVERAGE_MIN" '
		/^    "[^"]+": \{$/ { file = $1; gsub(/[":]/, "", file) }
		/^      "coverage": / && file !~ /_test\.rego$/ { printf "  %-40s %s%%\n", file, $2 }
		/^  "covered_lines": / { covered = $2 + 0 }
		/^  "not_covered_lines": / { missed = $2 + 0 }
		/^  "coverage": / { total = $2 }
		END { printf "policy line coverage: %s%% (%d of %d lines, tests included; floor %s%%)\n", total, covered, covered + missed, min }
	' "$report"
}

lint() {
	# .regal/config.yaml and the custom rules in .regal/rules are found from
	# the repository root.
	regal lint "${PATHS[@]}"
}

custom_rule_tests() {
	regal test .regal/rules
}

# forbidden-function-call matches exact names: an OPA upgrade that adds a
# net.* or io.jwt.* builtin must add it to .regal/config.yaml too.
forbidden_list_complete() {
	local missing=0 name
	for name in $(opa capabilities --current | grep -oE '"name": "(net|io\.jwt)\.[a-z0-9_]+"' | cut -d'"' -f4) http.send opa.runtime; do
		if ! grep -qxE "[[:space:]]+- ${name//./\\.}" .regal/config.yaml; then
			echo "builtin $name is not in forbidden-functions of .regal/config.yaml" >&2
			missing=1
		fi
	done
	[ "$missing" = 0 ] && echo "every net.*, io.jwt.*, http.send and opa.runtime builtin is forbidden"
}

step "opa fmt" fmt_check
step "opa check --strict (schema $SCHEMA)" check_strict
step "opa test" unit_tests
step "opa test coverage >= ${COVERAGE_MIN}%" coverage
step "regal lint" lint
step "regal test .regal/rules" custom_rule_tests
step "forbidden builtins list is complete" forbidden_list_complete

if [ ${#failed[@]} -gt 0 ]; then
	echo >&2
	echo "check-policies: ${#failed[@]} step(s) failed:" >&2
	printf '  - %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "check-policies: all checks passed"
