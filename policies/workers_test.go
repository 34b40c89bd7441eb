package policies

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/warden-authz/warden"
)

var ownerUpdates = warden.AuthzRequest{
	Subject: &warden.Subject{ID: "alice", Tenant: "t1", TenantRoles: []string{"member"}}, Action: "tasks:update",
	Resource: warden.Resource{Type: "task", ID: 1, TenantID: "t1", OwnerID: "alice"},
}

// BenchmarkDecideOnFreshGoroutine decides on a new goroutine each time, as an
// HTTP handler does: compare with BenchmarkDecide to see what the workers save.
func BenchmarkDecideOnFreshGoroutine(b *testing.B) {
	e := embedded(b)
	b.ReportAllocs()
	for b.Loop() {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); e.Decide(context.Background(), ownerUpdates) }()
		wg.Wait()
	}
}

func TestWorkersSurvivePanicsAndClose(t *testing.T) {
	e := embedded(t)
	err := e.onWorker(context.Background(), func() error { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("panic in a job: err = %v, want it reported", err)
	}
	if d := e.Decide(context.Background(), ownerUpdates); !d.Allow {
		t.Fatalf("after a panicking job: %+v, want allow", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if d := e.Decide(ctx, ownerUpdates); d.Allow || !d.Undecided {
		t.Errorf("cancelled request: %+v, want an undecided deny", d)
	}
	e.Close()
	if d := e.Decide(context.Background(), ownerUpdates); !d.Allow {
		t.Errorf("after Close: %+v, want the last policy still serving", d)
	}
}
