// Package pglocal runs a PostgreSQL cluster out of a local directory, for
// `warden dev` and for tests; started as root, the server runs as an unprivileged user.
package pglocal
