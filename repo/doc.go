// Package repo holds all of Warden's SQL: the PostgreSQL connection pool, the
// embedded migrations and one store per aggregate (tasks, posts, reports, users).
package repo
