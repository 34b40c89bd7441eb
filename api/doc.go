// Package api is Warden's HTTP layer: a Gin engine whose route groups declare their
// authentication and authorization guards once, and handlers that ask the policy before
// they touch a store.
package api
