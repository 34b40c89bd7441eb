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
