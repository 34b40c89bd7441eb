package repo

import warden "github.com/warden-authz/warden"

// Translate exposes the driver-error translation to the external tests.
func Translate(err error) error { return translate(err) }

// FindTasksQuery and CountTasksQuery expose the statements the task store
// runs, for the EXPLAIN checks.
func FindTasksQuery(tenant string, vis warden.Condition, f warden.TaskFilter) (string, []any, error) {
	return findTasksQuery(tenant, vis, f)
}

func CountTasksQuery(tenant string, vis warden.Condition, f warden.TaskFilter) (string, []any, error) {
	return countTasksQuery(tenant, vis, f)
}
