package api

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/warden-authz/warden"
)

// seenUsers records the subjects the service has seen without a database write on
// every request: a subject is written when first seen in a process, when its
// claimed email or name changes, and at most once per refresh interval otherwise.
type seenUsers struct {
	store   UserStore
	now     func() time.Time
	log     *slog.Logger
	refresh time.Duration
	max     int

	mu   sync.Mutex
	last map[seenKey]seenEntry
}

type seenKey struct{ tenant, id string }

type seenEntry struct {
	at          time.Time
	email, name string
}

func newSeenUsers(store UserStore, now func() time.Time, log *slog.Logger) *seenUsers {
	return &seenUsers{store: store, now: now, log: log, refresh: 10 * time.Minute, max: 100_000,
		last: map[seenKey]seenEntry{}}
}

func (s *seenUsers) record(ctx context.Context, sub *warden.Subject) {
	// A token with a tenant claim but no tenant role proves no membership: it
	// must not appear, with its email, in that tenant's user list.
	if s == nil || s.store == nil || sub == nil || len(sub.TenantRoles) == 0 {
		return
	}
	now := s.now()
	k := seenKey{sub.Tenant, sub.ID}
	s.mu.Lock()
	e, ok := s.last[k]
	fresh := ok && now.Sub(e.at) < s.refresh && e.email == sub.Email && e.name == sub.Name
	if !fresh {
		if len(s.last) >= s.max {
			// Forgetting everyone costs one write per active user; it keeps memory bounded.
			s.last = map[seenKey]seenEntry{}
		}
		s.last[k] = seenEntry{at: now, email: sub.Email, name: sub.Name}
	}
	s.mu.Unlock()
	if fresh {
		return
	}
	err := s.store.UpsertUser(ctx, warden.User{ID: sub.ID, TenantID: sub.Tenant, Email: sub.Email,
		Name: sub.Name, FirstSeen: now, LastSeen: now})
	if err != nil {
		// Recording is best effort: the request it rides on must not fail for it.
		s.mu.Lock()
		delete(s.last, k)
		s.mu.Unlock()
		s.log.WarnContext(ctx, "record seen user", "subject", sub.ID, "error", err.Error())
	}
}
