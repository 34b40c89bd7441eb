package policies

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/warden-authz/warden"
)

// Filter returns the rows of the table named by the action's prefix
// ("tasks:list" → tasks) that the subject may reach with that action, as a
// condition over the table's columns. It is the policy's filter rule,
// partially evaluated with the row unknown; a residual the condition cannot
// express is an error, never "all rows". On error the condition is MatchNone.
//
// The condition is computed once per revision, action and subject (id,
// tenant, roles, permissions) and kept in a bounded cache; a repeated request
// costs a map lookup and a copy. The subject's real values are used when it is
// computed, never stand-ins: a policy may compare the id or tenant with a
// literal, and a condition shared between subjects would then be wrong.
func (e *Engine) Filter(ctx context.Context, s *warden.Subject, action string) (warden.Condition, error) {
	st := e.state.Load()
	table, _, _ := strings.Cut(action, ":")
	fq, ok := st.filters[table]
	if !ok {
		return warden.MatchNone(), fmt.Errorf("filter %s: no filter for table %q", action, table)
	}
	key := filterKey(st.revision, action, s)
	cond, ok := e.cache.get(key)
	if !ok {
		err := e.onWorker(ctx, func() (err error) {
			cond, err = e.compileFilter(ctx, st, fq, action, s)
			return err
		})
		if err != nil {
			return warden.MatchNone(), fmt.Errorf("filter %s: %w", action, err)
		}
		e.cache.put(key, cond)
	}
	return copyCondition(cond), nil
}

// compileFilter partially evaluates the table's filter rule for the subject's
// shape and converts the residual into a Condition.
func (e *Engine) compileFilter(ctx context.Context, st *state, fq *filterQuery, action string, s *warden.Subject) (warden.Condition, error) {
	items := [][2]*ast.Term{ast.Item(ast.StringTerm("action"), ast.StringTerm(action))}
	if s != nil {
		items = append(items, ast.Item(ast.StringTerm("subject"), ast.NewTerm(subjectValue(s, false))))
	}
	input := ast.NewObject(items...)

	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	filters, err := fq.compiled.Compile(ctx, rego.EvalParsedInput(input))
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return warden.MatchNone(), evalError(ctx, fmt.Sprintf("compile filter (revision %s)", st.revision), err)
	}
	query := filters.For("ucast", "all").Query
	if query == nil {
		return warden.MatchNone(), nil
	}
	node, ok := query.(map[string]any)
	if !ok {
		return warden.MatchNone(), fmt.Errorf("compile filter: unexpected result %T", query)
	}
	if len(node) == 0 {
		// The conversion also yields an empty tree for an expression it could
		// not translate: only a residual with an empty (always true) query
		// really means every row.
		if err := confirmUnconditional(ctx, fq, input); err != nil {
			return warden.MatchNone(), err
		}
		return warden.MatchAll(), nil
	}
	cond, err := fromUCAST(node, fq.table, fq.columns)
	if err != nil {
		return warden.MatchNone(), err
	}
	return simplify(cond), nil
}

func confirmUnconditional(ctx context.Context, fq *filterQuery, input ast.Value) error {
	pq, err := fq.partial.Partial(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return fmt.Errorf("confirm unconditional filter: %w", err)
	}
	for _, q := range pq.Queries {
		if len(q) == 0 {
			return nil
		}
	}
	return errors.New("filter residual cannot be expressed as a condition")
}

// fromUCAST converts the UCAST tree of the compile package into a Condition,
// refusing any column outside the table's allowlist and any operator or
// value the Condition cannot carry.
func fromUCAST(node map[string]any, table string, columns map[string]warden.ColumnKind) (warden.Condition, error) {
	typ, _ := node["type"].(string)
	op, _ := node["operator"].(string)
	switch typ {
	case "compound":
		values, ok := node["value"].([]any)
		if !ok || len(values) == 0 {
			return warden.Condition{}, fmt.Errorf("ucast %s: no operands", op)
		}
		switch op {
		case "and", "or":
		case "not":
			if len(values) != 1 {
				return warden.Condition{}, fmt.Errorf("ucast not: %d operands", len(values))
			}
		default:
			return warden.Condition{}, fmt.Errorf("ucast: unsupported compound operator %q", op)
		}
		children := make([]warden.Condition, 0, len(values))
		for _, v := range values {
			child, ok := v.(map[string]any)
			if !ok {
				return warden.Condition{}, fmt.Errorf("ucast %s: operand is %T", op, v)
			}
			c, err := fromUCAST(child, table, columns)
			if err != nil {
				return warden.Condition{}, err
			}
			children = append(children, c)
		}
		return warden.Condition{Op: op, Children: children}, nil
	case "field":
		field, _ := node["field"].(string)
		column, ok := strings.CutPrefix(field, table+".")
		if _, known := columns[column]; !ok || !known {
			return warden.Condition{}, fmt.Errorf("ucast: column %q is not filterable on %s", field, table)
		}
		value := node["value"]
		switch op {
		case "eq", "ne", "lt", "lte", "gt", "gte":
			if !isScalar(value) {
				return warden.Condition{}, fmt.Errorf("ucast %s %s: unsupported value %T", op, field, value)
			}
		case "in":
			values, ok := value.([]any)
			if !ok || !all(values, isScalar) {
				return warden.Condition{}, fmt.Errorf("ucast in %s: unsupported value %T", field, value)
			}
		case "startswith", "endswith", "contains":
			if _, ok := value.(string); !ok {
				return warden.Condition{}, fmt.Errorf("ucast %s %s: unsupported value %T", op, field, value)
			}
		default:
			return warden.Condition{}, fmt.Errorf("ucast: unsupported field operator %q", op)
		}
		return warden.Condition{Op: op, Field: column, Value: value}, nil
	}
	return warden.Condition{}, fmt.Errorf("ucast: unsupported node type %q", typ)
}

// isScalar accepts the values a Condition carries. null is refused: SQL's
// three-valued NULL would not match the policy's comparison.
func isScalar(v any) bool {
	switch v.(type) {
	case string, float64, bool:
		return true
	}
	return false
}

func all[T any](xs []T, f func(T) bool) bool {
	for _, x := range xs {
		if !f(x) {
			return false
		}
	}
	return true
}

// simplify flattens nested and/or, drops duplicates and absorbed disjuncts
// ((a and b) or a == a). Partial evaluation repeats conditions that reach
// the same row by several rules; the SQL is shorter without them.
func simplify(c warden.Condition) warden.Condition {
	switch c.Op {
	case "not":
		return warden.Condition{Op: "not", Children: []warden.Condition{simplify(c.Children[0])}}
	case "and", "or":
	default:
		return c
	}
	var flat []warden.Condition
	seen := map[string]bool{}
	for _, child := range c.Children {
		child = simplify(child)
		parts := []warden.Condition{child}
		if child.Op == c.Op {
			parts = child.Children
		}
		for _, p := range parts {
			k := condKey(p)
			if !seen[k] {
				seen[k] = true
				flat = append(flat, p)
			}
		}
	}
	if c.Op == "or" {
		flat = absorb(flat)
	}
	if len(flat) == 1 {
		return flat[0]
	}
	if c.Op == "or" {
		return factor(flat)
	}
	return warden.Condition{Op: c.Op, Children: flat}
}

// factor pulls the conjuncts every disjunct shares out of the or:
// (t and a) or (t and b) == t and (a or b). The tenant column then stands
// alone at the top, where an index can use it.
func factor(disjuncts []warden.Condition) warden.Condition {
	conjuncts := func(d warden.Condition) []warden.Condition {
		if d.Op == "and" {
			return d.Children
		}
		return []warden.Condition{d}
	}
	var common []warden.Condition
	for _, c := range conjuncts(disjuncts[0]) {
		k := condKey(c)
		shared := true
		for _, d := range disjuncts[1:] {
			if !slices.ContainsFunc(conjuncts(d), func(x warden.Condition) bool { return condKey(x) == k }) {
				shared = false
				break
			}
		}
		if shared {
			common = append(common, c)
		}
	}
	if len(common) == 0 {
		return warden.Condition{Op: "or", Children: disjuncts}
	}
	isCommon := func(x warden.Condition) bool {
		return slices.ContainsFunc(common, func(c warden.Condition) bool { return condKey(c) == condKey(x) })
	}
	rest := make([]warden.Condition, 0, len(disjuncts))
	for _, d := range disjuncts {
		var left []warden.Condition
		for _, c := range conjuncts(d) {
			if !isCommon(c) {
				left = append(left, c)
			}
		}
		switch len(left) {
		case 0:
			// Absorption already removed any disjunct made only of shared
			// conjuncts when there were others; this one is simply true.
			if len(common) == 1 {
				return common[0]
			}
			return warden.Condition{Op: "and", Children: common}
		case 1:
			rest = append(rest, left[0])
		default:
			rest = append(rest, warden.Condition{Op: "and", Children: left})
		}
	}
	return warden.Condition{Op: "and", Children: append(common, warden.Condition{Op: "or", Children: rest})}
}

// absorb drops every disjunct whose conjuncts include all the conjuncts of
// another disjunct.
func absorb(disjuncts []warden.Condition) []warden.Condition {
	sets := make([]map[string]bool, len(disjuncts))
	for i, d := range disjuncts {
		sets[i] = map[string]bool{}
		if d.Op == "and" {
			for _, c := range d.Children {
				sets[i][condKey(c)] = true
			}
		} else {
			sets[i][condKey(d)] = true
		}
	}
	subset := func(a, b map[string]bool) bool {
		for k := range a {
			if !b[k] {
				return false
			}
		}
		return true
	}
	var out []warden.Condition
	for i, d := range disjuncts {
		absorbed := false
		for j := range disjuncts {
			// Strictly smaller sets absorb; of equal sets the first is kept
			// (duplicates were already removed, so equal sets differ in order).
			if i != j && subset(sets[j], sets[i]) && (len(sets[j]) < len(sets[i]) || j < i) {
				absorbed = true
				break
			}
		}
		if !absorbed {
			out = append(out, d)
		}
	}
	return out
}

func condKey(c warden.Condition) string {
	b, _ := json.Marshal(c) // a Condition of scalars and slices always marshals
	return string(b)
}

// copyCondition returns a deep copy, so a caller cannot change a cached entry.
func copyCondition(c warden.Condition) warden.Condition {
	out := c
	if v, ok := c.Value.([]any); ok {
		out.Value = slices.Clone(v)
	}
	if len(c.Children) > 0 {
		out.Children = make([]warden.Condition, len(c.Children))
		for i, child := range c.Children {
			out.Children[i] = copyCondition(child)
		}
	}
	return out
}

// filterKey identifies everything a filter depends on: the revision, the
// action, whether there is a subject, its id and tenant, and its roles,
// permissions and personal flag in their given order.
func filterKey(revision, action string, s *warden.Subject) string {
	b := make([]byte, 0, 128)
	b = appendField(b, revision)
	b = appendField(b, action)
	if s == nil {
		return string(append(b, 'A'))
	}
	flag := func(v bool) byte {
		if v {
			return '1'
		}
		return '0'
	}
	b = append(b, 'S', flag(s.Personal))
	b = appendField(b, s.ID)
	b = appendField(b, s.Tenant)
	for _, list := range [][]string{s.TenantRoles, s.Roles, s.Permissions} {
		b = strconv.AppendInt(b, int64(len(list)), 10)
		for _, v := range list {
			b = appendField(b, v)
		}
	}
	return string(b)
}

// appendField writes a length-prefixed string, so no value can fake a
// boundary.
func appendField(b []byte, v string) []byte {
	b = strconv.AppendInt(b, int64(len(v)), 10)
	b = append(b, ':')
	return append(b, v...)
}

// filterCache is a bounded LRU of conditions by shape key. Entries of an old
// revision are never hit again and age out.
type filterCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[string]*list.Element
}

type cacheEntry struct {
	key  string
	cond warden.Condition
}

func newFilterCache(max int) *filterCache {
	return &filterCache{max: max, ll: list.New(), items: map[string]*list.Element{}}
}

func (c *filterCache) get(key string) (warden.Condition, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return warden.Condition{}, false
	}
	c.ll.MoveToFront(el)
	return el.Value.(*cacheEntry).cond, true
}

func (c *filterCache) put(key string, cond warden.Condition) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		el.Value.(*cacheEntry).cond = cond
		c.ll.MoveToFront(el)
		return
	}
	c.items[key] = c.ll.PushFront(&cacheEntry{key: key, cond: cond})
	for c.ll.Len() > c.max {
		el := c.ll.Back()
		c.ll.Remove(el)
		delete(c.items, el.Value.(*cacheEntry).key)
	}
}

func (c *filterCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

func (c *filterCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ll.Init()
	clear(c.items)
}
