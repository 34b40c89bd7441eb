// Package interop proves Warden against the real Better Auth: its test runs
// issuer.mjs (Node) and the warden binary side by side on a throwaway PostgreSQL.
package interop
