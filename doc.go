// Package warden holds the domain types shared by every layer of the service:
// subjects, tasks, posts, reports, the visibility condition tree and the error codes.
// It does no I/O; api, repo, auth and policies import it, never each other.
package warden
