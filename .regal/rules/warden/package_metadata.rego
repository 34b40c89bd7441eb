# METADATA
# description: Package without METADATA in any of its files
# related_resources:
#   - description: |
#       Regal v0.42.0's custom/missing-metadata checks rules but never reports
#       a package: it reads the package name from the common aggregate as an
#       object, while that aggregate is a set. This rule does the package half.
#     ref: https://www.openpolicyagent.org/projects/regal/rules/custom/missing-metadata
# schemas:
#   - input: schema.regal.ast
package custom.regal.rules.warden["package-metadata"]

import data.regal.result
import data.regal.util

# METADATA
# description: One entry per file; package METADATA in any one file is enough.
aggregate contains result.aggregate(rego.metadata.chain(), {
	"annotated": _annotated,
	"location": util.to_location_object(input.package.location),
})

default _annotated := false

_annotated if input.package.annotations

# METADATA
# description: Reports the first file of each package that no file annotates.
# schemas:
#   - input: schema.regal.aggregate
aggregate_report contains violation if {
	some entries in _by_package
	every entry in entries {
		entry.aggregate_data.annotated == false
	}

	[file, location] := sort([[entry.aggregate_source.file, entry.aggregate_data.location] | some entry in entries])[0]

	violation := result.fail(rego.metadata.chain(), {"location": object.union(location, {"file": file})})
}

# METADATA
# schemas:
#   - input: schema.regal.aggregate
_by_package[concat(".", entry.aggregate_source.package_path)] contains entry if some entry in input.aggregate
