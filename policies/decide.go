package policies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/warden-authz/warden"
)

// Decide answers one authorization question. It never fails open: an
// undefined result, an evaluation error, a timeout or a panic is a deny with
// the reason "policy could not decide". Every decision carries an ID and the
// policy revision, goes to the decision log and to Options.OnDecision.
func (e *Engine) Decide(ctx context.Context, req warden.AuthzRequest) warden.Decision {
	start := time.Now()
	st := e.state.Load()
	var d warden.Decision
	err := e.onWorker(ctx, func() (err error) {
		d, err = e.evalDecision(ctx, st, inputValue(req))
		return err
	})
	if err != nil {
		// Whatever failed (evaluation, a panic, no worker free before ctx
		// ended), the answer is the one deny.
		d = undecided()
	}
	elapsed := time.Since(start)
	d.ID = newID()
	d.Revision = st.revision
	if err != nil {
		e.log.ErrorContext(ctx, "policy could not decide",
			"decision_id", d.ID, "action", req.Action, "revision", st.revision, "err", err)
	}
	e.logDecision(req, d, elapsed)
	if e.opts.OnDecision != nil {
		action := req.Action
		if !d.Allow && len(d.Reasons) > 0 && d.Reasons[0] == reasonUnknownAction {
			// A client may ask about any string (POST /api/me/can); metrics
			// label it once, so no client can create unbounded series.
			action = "unknown"
		}
		e.opts.OnDecision(action, d.Allow, elapsed)
	}
	return d
}

// EvalDocument evaluates the decision for a raw input document, as the
// service would build it. The returned decision is a deny whenever err is set.
func (e *Engine) EvalDocument(ctx context.Context, input map[string]any) (warden.Decision, error) {
	st := e.state.Load()
	v, err := ast.InterfaceToValue(input)
	if err != nil {
		d := undecided()
		d.ID, d.Revision = newID(), st.revision
		return d, fmt.Errorf("convert input: %w", err)
	}
	d, err := e.evalDecision(ctx, st, v)
	d.ID, d.Revision = newID(), st.revision
	return d, err
}

// Permissions returns the subject's effective permissions, sorted.
func (e *Engine) Permissions(ctx context.Context, s *warden.Subject) ([]string, error) {
	st := e.state.Load()
	var items [][2]*ast.Term
	if s != nil {
		items = append(items, ast.Item(ast.StringTerm("subject"), ast.NewTerm(subjectValue(s, true))))
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	var rs rego.ResultSet
	err := e.onWorker(ctx, func() (err error) {
		rs, err = st.permissions.Eval(ctx, rego.EvalParsedInput(ast.NewObject(items...)))
		return err
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, evalError(ctx, "evaluate permissions", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, errors.New("evaluate permissions: undefined")
	}
	set, ok := rs[0].Expressions[0].Value.(ast.Set)
	if !ok {
		return nil, fmt.Errorf("evaluate permissions: got %T, want a set", rs[0].Expressions[0].Value)
	}
	perms := make([]string, 0, set.Len())
	for _, t := range set.Slice() {
		p, ok := t.Value.(ast.String)
		if !ok {
			return nil, fmt.Errorf("evaluate permissions: permission %v is not a string", t)
		}
		perms = append(perms, string(p))
	}
	sort.Strings(perms)
	return perms, nil
}

// evalError wraps an evaluation failure; one that ran out of time is
// EUNAVAILABLE, so the API answers 503 and the client may retry.
func evalError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, &warden.Error{Code: warden.EUNAVAILABLE, Message: "authorization is busy; retry shortly"})
	}
	return fmt.Errorf("%s: %w", what, err)
}

func undecided() warden.Decision {
	return warden.Decision{Reasons: []string{reasonUndecided}, Undecided: true}
}

// evalDecision runs the prepared decision query under the engine's timeout and
// reads its result; anything unexpected is a deny and an error.
func (e *Engine) evalDecision(ctx context.Context, st *state, input ast.Value) (d warden.Decision, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = undecided(), fmt.Errorf("evaluate decision: panic: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	rs, err := st.decision.Eval(ctx, rego.EvalParsedInput(input))
	if err == nil {
		// A query that finished as the deadline passed still counts as
		// timed out: the deadline, not the scheduler, decides.
		err = ctx.Err()
	}
	if err != nil {
		return undecided(), fmt.Errorf("evaluate decision: %w", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return undecided(), errors.New("evaluate decision: undefined")
	}
	d, err = parseDecision(rs[0].Expressions[0].Value)
	if err != nil {
		return undecided(), fmt.Errorf("evaluate decision: %w", err)
	}
	return d, nil
}

func parseDecision(v any) (warden.Decision, error) {
	obj, ok := v.(ast.Object)
	if !ok {
		return warden.Decision{}, fmt.Errorf("got %T, want an object", v)
	}
	allow, ok := boolField(obj, "allow")
	if !ok {
		return warden.Decision{}, errors.New("allow is not a boolean")
	}
	visible, ok := boolField(obj, "visible")
	if !ok {
		return warden.Decision{}, errors.New("visible is not a boolean")
	}
	reasons := []string{}
	if t := obj.Get(ast.StringTerm("reasons")); t != nil {
		arr, ok := t.Value.(*ast.Array)
		if !ok {
			return warden.Decision{}, errors.New("reasons is not an array")
		}
		for i := range arr.Len() {
			s, ok := arr.Elem(i).Value.(ast.String)
			if !ok {
				return warden.Decision{}, errors.New("a reason is not a string")
			}
			reasons = append(reasons, string(s))
		}
	}
	if !allow && len(reasons) == 0 {
		// Callers answer 403 with reasons[0]: a deny always has one.
		reasons = append(reasons, "denied by policy")
	}
	return warden.Decision{Allow: allow, Visible: visible, Reasons: reasons}, nil
}

func boolField(obj ast.Object, key string) (bool, bool) {
	t := obj.Get(ast.StringTerm(key))
	if t == nil {
		return false, false
	}
	b, ok := t.Value.(ast.Boolean)
	return bool(b), ok
}

// inputValue builds the input document directly as an AST value: no JSON
// round trip, and empty optional fields are left out.
func inputValue(req warden.AuthzRequest) ast.Value {
	items := make([][2]*ast.Term, 0, 4)
	items = append(items, ast.Item(ast.StringTerm("action"), ast.StringTerm(req.Action)))
	if req.Subject != nil {
		items = append(items, ast.Item(ast.StringTerm("subject"), ast.NewTerm(subjectValue(req.Subject, true))))
	}
	items = append(items, ast.Item(ast.StringTerm("resource"), ast.NewTerm(resourceValue(req.Resource))))
	if req.Method != "" || req.Route != "" {
		var r [][2]*ast.Term
		r = appendString(r, "method", req.Method)
		r = appendString(r, "route", req.Route)
		items = append(items, ast.Item(ast.StringTerm("request"), ast.NewTerm(ast.NewObject(r...))))
	}
	return ast.NewObject(items...)
}

// subjectValue is input.subject. Filters leave out email and name (profile)
// so that the filter of one subject shape serves every subject of that shape.
func subjectValue(s *warden.Subject, profile bool) ast.Value {
	items := make([][2]*ast.Term, 0, 8)
	items = appendString(items, "id", s.ID)
	if profile {
		items = appendString(items, "email", s.Email)
		items = appendString(items, "name", s.Name)
	}
	items = appendString(items, "tenant", s.Tenant)
	items = appendStrings(items, "tenant_roles", s.TenantRoles)
	items = appendStrings(items, "roles", s.Roles)
	items = appendStrings(items, "permissions", s.Permissions)
	if s.Personal {
		items = append(items, ast.Item(ast.StringTerm("personal"), ast.BooleanTerm(true)))
	}
	return ast.NewObject(items...)
}

func resourceValue(r warden.Resource) ast.Value {
	items := make([][2]*ast.Term, 0, 7)
	items = appendString(items, "type", r.Type)
	if r.ID != 0 {
		items = append(items, ast.Item(ast.StringTerm("id"), ast.IntNumberTerm(int(r.ID))))
	}
	items = appendString(items, "tenant_id", r.TenantID)
	items = appendString(items, "owner_id", r.OwnerID)
	if r.IsPublic != nil {
		items = append(items, ast.Item(ast.StringTerm("is_public"), ast.BooleanTerm(*r.IsPublic)))
	}
	items = appendString(items, "status", r.Status)
	if r.Count != 0 {
		items = append(items, ast.Item(ast.StringTerm("count"), ast.IntNumberTerm(r.Count)))
	}
	return ast.NewObject(items...)
}

func appendString(items [][2]*ast.Term, key, v string) [][2]*ast.Term {
	if v == "" {
		return items
	}
	return append(items, ast.Item(ast.StringTerm(key), ast.StringTerm(v)))
}

func appendStrings(items [][2]*ast.Term, key string, vs []string) [][2]*ast.Term {
	if len(vs) == 0 {
		return items
	}
	terms := make([]*ast.Term, len(vs))
	for i, v := range vs {
		terms[i] = ast.StringTerm(v)
	}
	return append(items, ast.Item(ast.StringTerm(key), ast.ArrayTerm(terms...)))
}

// logLine is one decision log entry. It names the subject by id and tenant
// only: never an email, a name or a token.
type logLine struct {
	DecisionID   string    `json:"decision_id"`
	Time         time.Time `json:"time"`
	SubjectID    string    `json:"subject_id,omitempty"`
	Tenant       string    `json:"tenant,omitempty"`
	Action       string    `json:"action"`
	ResourceType string    `json:"resource_type,omitempty"`
	ResourceID   int64     `json:"resource_id,omitempty"`
	Result       bool      `json:"result"`
	Visible      bool      `json:"visible"`
	Reasons      []string  `json:"reasons"`
	Undecided    bool      `json:"undecided,omitempty"`
	Revision     string    `json:"revision"`
	EvalNS       int64     `json:"eval_ns"`
}

func (e *Engine) logDecision(req warden.AuthzRequest, d warden.Decision, elapsed time.Duration) {
	if e.opts.DecisionLog == nil {
		return
	}
	line := logLine{
		DecisionID:   d.ID,
		Time:         e.now().UTC(),
		Action:       req.Action,
		ResourceType: req.Resource.Type,
		ResourceID:   req.Resource.ID,
		Result:       d.Allow,
		Visible:      d.Visible,
		Reasons:      d.Reasons,
		Undecided:    d.Undecided,
		Revision:     d.Revision,
		EvalNS:       elapsed.Nanoseconds(),
	}
	if req.Subject != nil {
		line.SubjectID, line.Tenant = req.Subject.ID, req.Subject.Tenant
	}
	b, err := json.Marshal(line)
	if err != nil {
		e.log.Error("decision log", "err", err)
		return
	}
	b = append(b, '\n')
	e.logMu.Lock()
	defer e.logMu.Unlock()
	if _, err := e.opts.DecisionLog.Write(b); err != nil {
		e.log.Error("decision log", "err", err)
	}
}
