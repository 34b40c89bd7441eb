package policies

import (
	"github.com/warden-authz/warden"

	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/rego/compile"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// Options configure an Engine. The zero value serves the embedded policy with
// a 100ms evaluation timeout and no decision log.
type Options struct {
	Dir         string        // "" = embedded bundle; else load from disk and reload on change
	Logger      *slog.Logger  // nil = discard
	DecisionLog io.Writer     // nil = off; one JSON line per decision
	Timeout     time.Duration // per evaluation; a timeout is a deny (default 500ms)
	Now         func() time.Time
	OnDecision  func(action string, allowed bool, elapsed time.Duration)
	// FilterCacheSize bounds the cache of list filters per subject
	// (default 16384 entries).
	FilterCacheSize int
	// ReloadDebounce is the quiet time after a change in Dir before reloading
	// (default 200ms).
	ReloadDebounce time.Duration
}

const (
	defaultTimeout         = 500 * time.Millisecond
	defaultFilterCacheSize = 16384
	defaultReloadDebounce  = 200 * time.Millisecond

	reasonUndecided = "policy could not decide"
	// reasonUnknownAction is the policy's first reason for an action it does not know.
	reasonUnknownAction = "unknown action"
)

// The rules the service queries. A policy that lacks one is refused.
func decisionRef() ast.Ref    { return ast.MustParseRef("data.warden.authz.decision") }
func permissionsRef() ast.Ref { return ast.MustParseRef("data.warden.authz.effective_permissions") }

// Engine evaluates the policy. It is safe for concurrent use; a reload swaps
// the whole compiled state at once.
type Engine struct {
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	timeout time.Duration
	state   atomic.Pointer[state]
	cache   *filterCache
	logMu   sync.Mutex // serialises decision log lines

	stop     context.CancelFunc
	stopped  chan struct{}
	stopOnce sync.Once

	// Evaluations run on long-lived worker goroutines (see workers.go).
	jobs chan func()
	quit chan struct{}
}

// state is one compiled revision of the policy with its prepared queries.
type state struct {
	revision    string
	compiler    *ast.Compiler
	store       storage.Store
	decision    rego.PreparedEvalQuery
	permissions rego.PreparedEvalQuery
	filters     map[string]*filterQuery // by table
	// dataFiles are the data.json and schema files the revision was built
	// from: a reload may change them but never silently drop one.
	dataFiles []string
}

type filterQuery struct {
	table    string
	columns  map[string]warden.ColumnKind
	compiled *compile.Prepared
	partial  rego.PreparedPartialQuery // confirms an unconditional result
}

// New loads, compiles and prepares the policy once. With opts.Dir set it loads
// from that directory and keeps reloading it on change until Close is called
// (not when ctx ends: ctx bounds start-up only); a change that does not
// compile is refused and logged.
func New(ctx context.Context, opts Options) (*Engine, error) {
	e := &Engine{opts: opts, log: opts.Logger, now: opts.Now, timeout: opts.Timeout}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.timeout <= 0 {
		e.timeout = defaultTimeout
	}
	size := opts.FilterCacheSize
	if size <= 0 {
		size = defaultFilterCacheSize
	}
	e.cache = newFilterCache(size)
	e.startWorkers()

	fsys := Bundle()
	if opts.Dir != "" {
		fsys = os.DirFS(opts.Dir)
	}
	st, err := load(ctx, fsys)
	if err != nil {
		e.stopWorkers()
		return nil, err
	}
	e.state.Store(st)
	e.log.Info("policy loaded", "revision", st.revision, "dir", opts.Dir)

	if opts.Dir != "" {
		if err := e.watch(ctx); err != nil {
			e.stopWorkers()
			return nil, fmt.Errorf("watch policy dir: %w", err)
		}
	}
	return e, nil
}

// Close stops watching the policy directory and the evaluation workers. The
// engine keeps serving the last loaded policy, evaluating on the caller's
// goroutine.
func (e *Engine) Close() error {
	e.stopOnce.Do(func() {
		if e.stop != nil {
			e.stop()
			<-e.stopped
		}
		e.stopWorkers()
	})
	return nil
}

// Revision identifies the policy in force: a short hash of its files.
func (e *Engine) Revision() string { return e.state.Load().revision }

// load reads, compiles and prepares one revision of the policy from fsys.
func load(ctx context.Context, dir fs.FS) (*state, error) {
	fsys, revision, err := snapshot(dir)
	if err != nil {
		return nil, err
	}
	res, err := loader.NewFileLoader().
		WithFS(fsys).
		WithProcessAnnotation(true).
		WithRegoVersion(ast.RegoV1).
		Filtered([]string{"."}, skipNonPolicy)
	if err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	compiler := ast.NewCompiler().
		WithStrict(true).
		WithEnablePrintStatements(false)
	// With the input schema beside the policy, the compiler type-checks every
	// reference to input: a misspelt field stops start-up and refuses a reload,
	// as `opa check --schema` does in CI.
	if raw, err := fs.ReadFile(fsys, schemaPath); err == nil {
		var schema any
		if err := json.Unmarshal(raw, &schema); err != nil {
			return nil, fmt.Errorf("load input schema %s: %w", schemaPath, err)
		}
		schemas := ast.NewSchemaSet()
		schemas.Put(ast.SchemaRootRef, schema)
		compiler = compiler.WithSchemas(schemas)
	}
	compiler.Compile(res.ParsedModules())
	if compiler.Failed() {
		return nil, fmt.Errorf("compile policy: %w", compiler.Errors)
	}
	for _, ref := range requiredRules() {
		if len(compiler.GetRulesExact(ref)) == 0 {
			return nil, fmt.Errorf("compile policy: no rule %v", ref)
		}
	}
	// The store hands out AST values: the role maps are read on every
	// decision, and converting them from Go values each time costs more than
	// the rest of the evaluation.
	store, err := res.StoreWithOpts(inmem.OptReturnASTValuesOnRead(true))
	if err != nil {
		return nil, fmt.Errorf("load policy data: %w", err)
	}

	st := &state{revision: revision, compiler: compiler, store: store, filters: map[string]*filterQuery{}}
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (path.Base(p) == "data.json" || p == schemaPath) {
			st.dataFiles = append(st.dataFiles, p)
		}
		return nil
	})
	common := []func(*rego.Rego){
		rego.Compiler(compiler),
		rego.Store(store),
		rego.StrictBuiltinErrors(true),
		// Results stay AST values: converting them to Go maps costs more
		// than reading the few fields needed.
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t.Value, nil }),
	}
	if st.decision, err = prepare(ctx, decisionRef(), common); err != nil {
		return nil, err
	}
	if st.permissions, err = prepare(ctx, permissionsRef(), common); err != nil {
		return nil, err
	}
	for table, columns := range warden.FilterColumns() {
		fq, err := prepareFilter(ctx, table, columns, compiler, store)
		if err != nil {
			return nil, err
		}
		st.filters[table] = fq
	}
	return st, nil
}

func requiredRules() []ast.Ref {
	refs := []ast.Ref{decisionRef(), permissionsRef()}
	for table := range warden.FilterColumns() {
		refs = append(refs, filterRef(table))
	}
	return refs
}

func filterRef(table string) ast.Ref {
	return ast.MustParseRef("data.warden.authz.filter_" + table)
}

func prepare(ctx context.Context, ref ast.Ref, common []func(*rego.Rego)) (rego.PreparedEvalQuery, error) {
	opts := append([]func(*rego.Rego){rego.ParsedQuery(ast.NewBody(ast.NewExpr(ast.NewTerm(ref))))}, common...)
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return pq, fmt.Errorf("prepare %v: %w", ref, err)
	}
	return pq, nil
}

func prepareFilter(ctx context.Context, table string, columns map[string]warden.ColumnKind, compiler *ast.Compiler, store storage.Store) (*filterQuery, error) {
	query := ast.NewBody(ast.Equality.Expr(ast.NewTerm(filterRef(table)), ast.BooleanTerm(true)))
	unknown := ast.NewTerm(ast.InputRootRef.Append(ast.StringTerm(table)))
	c := compile.New(
		compile.ParsedQuery(query),
		compile.ParsedUnknowns(unknown),
		compile.Target("ucast", "all"),
		compile.Rego(rego.Compiler(compiler), rego.Store(store), rego.StrictBuiltinErrors(true)),
	)
	prepared, err := c.Prepare(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare filter %s: %w", table, err)
	}
	partial, err := rego.New(
		rego.ParsedQuery(query),
		rego.ParsedUnknowns([]*ast.Term{unknown}),
		rego.Compiler(compiler),
		rego.Store(store),
		rego.StrictBuiltinErrors(true),
	).PrepareForPartial(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare filter %s: %w", table, err)
	}
	return &filterQuery{table: table, columns: columns, compiled: prepared, partial: partial}, nil
}

// skipNonPolicy keeps the loader to Rego and data files, leaving out tests
// and anything else a policy directory may hold.
func skipNonPolicy(abspath string, info fs.FileInfo, _ int) bool {
	if info.IsDir() {
		return strings.HasPrefix(info.Name(), ".") && info.Name() != "."
	}
	return !isPolicyFile(abspath)
}

// schemaPath is where the JSON schema of the input document lives in a bundle.
const schemaPath = "schemas/input.json"

func isPolicyFile(name string) bool {
	base := path.Base(name)
	switch {
	case strings.HasPrefix(base, "."):
		return false
	case strings.HasSuffix(base, "_test.rego"):
		return false
	case strings.HasSuffix(base, ".rego"), base == "data.json":
		return true
	}
	return false
}

// snapshot copies the policy files of fsys into memory and hashes their names
// and bytes in sorted order: the revision is exactly what gets compiled, even
// if the directory changes while it is read, and the same files always give
// the same revision wherever they are loaded from.
func snapshot(fsys fs.FS) (fs.FS, string, error) {
	files := fstest.MapFS{}
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !isPolicyFile(p) && p != schemaPath {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files[p] = &fstest.MapFile{Data: b, Mode: 0o444}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("read policy files: %w", err)
	}
	if len(names) == 0 {
		return nil, "", errors.New("read policy files: no .rego or data.json files")
	}
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(files[name].Data))
		h.Write(files[name].Data)
	}
	return files, hex.EncodeToString(h.Sum(nil))[:12], nil
}

// newID returns a random 16-hex-character identifier.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}
