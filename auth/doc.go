// Package auth verifies Better Auth JWTs against the issuer's JWKS and turns their
// claims into a *warden.Subject; it also offers the local development issuer.
package auth
