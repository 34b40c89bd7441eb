// Package policies answers every authorization question of the service with the
// Rego embedded in the binary: single decisions, list filters and permissions.
package policies
