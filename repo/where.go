package repo

import (
	"fmt"
	"strconv"
	"strings"

	warden "github.com/warden-authz/warden"
)

// maxConditionDepth bounds the nesting of a condition; policies produce a few levels.
const maxConditionDepth = 32

type columnKind = warden.ColumnKind

const (
	kindText = warden.ColumnText
	kindBool = warden.ColumnBool
)

// filterColumn returns the kind of a column a policy may filter table on. The
// allowlist (warden.FilterColumns, shared with the policy engine) is the whole
// of what a condition may touch: any other column, or table, fails closed.
func filterColumn(table, column string) (columnKind, bool) {
	kind, ok := warden.FilterColumns()[table][column]
	return kind, ok
}

// WhereClause renders the policy's condition as a SQL boolean expression over
// table, with every value a placeholder: the first is $(argOffset+1), and args
// holds their values in order. Columns are qualified with the table name.
// A column outside the table's allowlist, an unknown operator or a value of the
// wrong type is an error: the caller must then show nothing.
func WhereClause(c warden.Condition, table string, argOffset int) (sql string, args []any, err error) {
	switch table {
	case "tasks", "posts", "reports":
	default:
		return "", nil, fmt.Errorf("where clause: no filterable columns for table %q", table)
	}
	w := &whereWriter{table: table, offset: argOffset}
	if err := w.write(c, 0); err != nil {
		return "", nil, fmt.Errorf("where clause: %w", err)
	}
	return w.b.String(), w.args, nil
}

type whereWriter struct {
	table  string
	offset int
	b      strings.Builder
	args   []any
}

func (w *whereWriter) param(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(w.offset+len(w.args))
}

func (w *whereWriter) write(c warden.Condition, depth int) error {
	if depth > maxConditionDepth {
		return fmt.Errorf("condition nested deeper than %d", maxConditionDepth)
	}
	switch c.Op {
	case "all":
		w.b.WriteString("TRUE")
	case "none":
		w.b.WriteString("FALSE")
	case "and", "or":
		if len(c.Children) == 0 {
			// The identity of each: an empty conjunction holds, an empty disjunction does not.
			if c.Op == "and" {
				w.b.WriteString("TRUE")
			} else {
				w.b.WriteString("FALSE")
			}
			return nil
		}
		w.b.WriteString("(")
		for i, child := range c.Children {
			if i > 0 {
				w.b.WriteString(" " + strings.ToUpper(c.Op) + " ")
			}
			if err := w.write(child, depth+1); err != nil {
				return err
			}
		}
		w.b.WriteString(")")
	case "not":
		if len(c.Children) != 1 {
			return fmt.Errorf("not takes one condition, got %d", len(c.Children))
		}
		w.b.WriteString("(NOT ")
		if err := w.write(c.Children[0], depth+1); err != nil {
			return err
		}
		w.b.WriteString(")")
	case "eq", "ne", "lt", "lte", "gt", "gte", "in", "startswith", "endswith", "contains":
		return w.writeComparison(c)
	default:
		return fmt.Errorf("unknown operator %q", c.Op)
	}
	return nil
}

func (w *whereWriter) writeComparison(c warden.Condition) error {
	kind, ok := filterColumn(w.table, c.Field)
	if !ok {
		return fmt.Errorf("column %q of %s may not be filtered on", c.Field, w.table)
	}
	col := w.table + "." + c.Field
	switch c.Op {
	case "eq", "ne", "lt", "lte", "gt", "gte":
		v, err := scalar(kind, c.Field, c.Value)
		if err != nil {
			return err
		}
		if kind == kindBool && c.Op != "eq" && c.Op != "ne" {
			return fmt.Errorf("%s on boolean column %s", c.Op, c.Field)
		}
		w.b.WriteString(col + " " + comparisonOps(c.Op) + " " + w.param(v))
	case "in":
		list, err := values(c.Value)
		if err != nil {
			return fmt.Errorf("in %s: %w", c.Field, err)
		}
		if len(list) == 0 {
			w.b.WriteString("FALSE")
			return nil
		}
		w.b.WriteString(col + " IN (")
		for i, item := range list {
			v, err := scalar(kind, c.Field, item)
			if err != nil {
				return err
			}
			if i > 0 {
				w.b.WriteString(", ")
			}
			w.b.WriteString(w.param(v))
		}
		w.b.WriteString(")")
	case "startswith", "endswith", "contains":
		if kind != kindText {
			return fmt.Errorf("%s on non-text column %s", c.Op, c.Field)
		}
		s, ok := c.Value.(string)
		if !ok {
			return fmt.Errorf("%s %s: value %T is not a string", c.Op, c.Field, c.Value)
		}
		pattern := EscapeLike(s)
		switch c.Op {
		case "startswith":
			pattern += "%"
		case "endswith":
			pattern = "%" + pattern
		default:
			pattern = "%" + pattern + "%"
		}
		w.b.WriteString(col + " LIKE " + w.param(pattern) + ` ESCAPE '\'`)
	}
	return nil
}

func comparisonOps(op string) string {
	switch op {
	case "eq":
		return "="
	case "ne":
		return "<>"
	case "lt":
		return "<"
	case "lte":
		return "<="
	case "gt":
		return ">"
	}
	return ">="
}

// scalar checks that v suits a column of kind.
func scalar(kind columnKind, field string, v any) (any, error) {
	switch kind {
	case kindText:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case kindBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	}
	return nil, fmt.Errorf("value %v (%T) does not suit column %s", v, v, field)
}

func values(v any) ([]any, error) {
	switch v := v.(type) {
	case []any:
		return v, nil
	case []string:
		out := make([]any, len(v))
		for i, s := range v {
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("value %T is not a list", v)
}

// EscapeLike escapes s for a LIKE or ILIKE pattern with ESCAPE '\', so that
// %, _ and \ match themselves.
func EscapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
