// Package policies_test runs the Rego tests of the embedded policy, so that
// go test ./... fails when a policy test fails or a policy line goes untested.
package policies_test

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/tester"
)

// minTests guards against a loader change that silently finds no tests.
const minTests = 100

func TestRego(t *testing.T) {
	ctx := context.Background()
	modules, store, err := tester.Load([]string{"../policies", "."}, func(abspath string, info fs.FileInfo, _ int) bool {
		return !info.IsDir() && !strings.HasSuffix(abspath, ".rego") && filepath.Base(abspath) != "data.json"
	})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	coverage := cover.New()
	runner := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithStrict(true).WithEnablePrintStatements(true)).
		SetStore(store).
		RaiseBuiltinErrors(true).
		SetCoverageQueryTracer(coverage).
		SetCoverageRuns([]cover.Kind{}).
		// The grid tests evaluate a few hundred decisions under the
		// coverage tracer; shared CI machines are slow.
		SetTimeout(2 * time.Minute)
	ch, err := runner.Run(ctx, modules)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	n := 0
	for r := range ch {
		n++
		t.Run(r.Package+"."+r.Name, func(t *testing.T) {
			if r.Error != nil {
				t.Fatalf("%s: error: %v", r.Location, r.Error)
			}
			if r.Fail {
				t.Fatalf("%s: fail\n%s", r.Location, r.Output)
			}
		})
	}
	if n < minTests {
		t.Errorf("ran %d Rego tests, want at least %d", n, minTests)
	}

	report := coverage.Report(modules)
	var files []string
	for file := range report.Files {
		if !strings.HasSuffix(file, "_test.rego") {
			files = append(files, file)
		}
	}
	if len(files) == 0 {
		t.Fatal("coverage report names no policy file")
	}
	sort.Strings(files)
	for _, file := range files {
		fr := report.Files[file]
		if len(fr.NotCovered) > 0 {
			var lines []string
			for _, rng := range fr.NotCovered {
				lines = append(lines, fmt.Sprintf("%d-%d", rng.Start.Row, rng.End.Row))
			}
			t.Errorf("%s: coverage %.1f%%, lines not covered: %s", file, fr.Coverage, strings.Join(lines, ", "))
		} else {
			t.Logf("%s: coverage %.1f%%", file, fr.Coverage)
		}
	}
}
