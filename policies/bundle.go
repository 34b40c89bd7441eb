package policies

import (
	"embed"
	"io/fs"
)

//go:embed warden schemas/input.json
var bundle embed.FS

// Bundle returns the embedded policy files (Rego, data and the input schema),
// rooted so that warden/authz/*.rego is package warden.authz.
func Bundle() fs.FS { return bundle }
