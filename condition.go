package warden

// Condition is a boolean filter over a table's columns, produced by the policy
// (partial evaluation) and rendered as SQL by the repository. It is a small
// subset of UCAST: the policy layer refuses anything it cannot express here.
//
// Op is one of:
//   - "all":  true (no restriction)
//   - "none": false (no row visible)
//   - "and", "or": Children
//   - "not": one child
//   - "eq", "ne", "lt", "lte", "gt", "gte": Field compared with Value
//   - "in": Field is one of Value ([]any)
//   - "startswith", "endswith", "contains": string Field and string Value
//
// Field is a bare column name of the filtered table ("owner_id"); Value is a
// string, float64, bool or []any of those.
type Condition struct {
	Op       string      `json:"op"`
	Field    string      `json:"field,omitempty"`
	Value    any         `json:"value,omitempty"`
	Children []Condition `json:"children,omitempty"`
}

// MatchAll is the condition that lets every row through.
func MatchAll() Condition { return Condition{Op: "all"} }

// MatchNone is the condition that lets no row through.
func MatchNone() Condition { return Condition{Op: "none"} }

// ColumnKind is the type of a column a Condition may name.
type ColumnKind int

// Column kinds.
const (
	ColumnText ColumnKind = iota + 1
	ColumnBool
)

// FilterColumns is the allowlist shared by the policy (which refuses a filter
// naming any other column) and the repository (which renders only these):
// per listable table, the columns a Condition may name and their kinds. Every
// one of them is NOT NULL in the schema, so SQL and Rego agree on absence.
func FilterColumns() map[string]map[string]ColumnKind {
	return map[string]map[string]ColumnKind{
		"tasks":   {"tenant_id": ColumnText, "owner_id": ColumnText, "priority": ColumnText, "completed": ColumnBool},
		"posts":   {"tenant_id": ColumnText, "owner_id": ColumnText, "is_public": ColumnBool},
		"reports": {"tenant_id": ColumnText, "reporter_id": ColumnText, "status": ColumnText},
	}
}
