package custom.regal.rules.warden["package-metadata_test"]

import data.custom.regal.rules.warden["package-metadata"] as rule

test_aggregate_annotated_package if {
	a := rule.aggregate with input as regal.parse_module("p.rego", "# METADATA\n# title: P\npackage foo.bar\n")
	{entry.aggregate_data.annotated | some entry in a} == {true}
}

test_aggregate_bare_package if {
	a := rule.aggregate with input as regal.parse_module("p.rego", "package foo.bar\n")
	{entry.aggregate_data.annotated | some entry in a} == {false}
}

test_aggregate_annotated_rule_only if {
	a := rule.aggregate with input as regal.parse_module("p.rego", "package foo.bar\n\n# METADATA\n# title: X\nx := 1\n")
	{entry.aggregate_data.annotated | some entry in a} == {false}
}

test_report_package_annotated_in_one_file if {
	r := rule.aggregate_report with input as {"aggregate": {
		_entry("a.rego", ["foo", "bar"], true),
		_entry("b.rego", ["foo", "bar"], false),
	}}
	r == set()
}

test_report_package_annotated_in_no_file if {
	r := rule.aggregate_report with input as {"aggregate": {
		_entry("b.rego", ["foo", "bar"], false),
		_entry("a.rego", ["foo", "bar"], false),
		_entry("c.rego", ["foo", "baz"], true),
	}}
	{[v.title, v.location.file, v.location.row] | some v in r} == {["package-metadata", "a.rego", 1]}
}

_entry(file, path, annotated) := {
	"aggregate_source": {"file": file, "package_path": path},
	"aggregate_data": {
		"annotated": annotated,
		"location": {"row": 1, "col": 1, "end": {"row": 1, "col": 8}, "text": "package"},
	},
}
