package policies

import (
	"embed"
	"io/fs"
)

//go:embed warden
var bundle embed.FS

// Bundle returns the embedded policy files (Rego and data), rooted so that
// warden/authz/*.rego is package warden.authz.
func Bundle() fs.FS { return bundle }
