package auth

import (
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/warden-authz/warden"
)

// claimNames are the configured names of the claims that shape a Subject.
type claimNames struct {
	tenant, tenantRole, role, permissions string
}

// subject maps verified claims to a Subject. A claim of the wrong type fails the
// token instead of being dropped: a dropped role or tenant would silently change
// what the subject may do. Slices are never nil so the subject encodes as [].
func (n claimNames) subject(tok jwt.Token) (*warden.Subject, error) {
	sub := tok.Subject()
	if strings.TrimSpace(sub) == "" {
		return nil, unauthenticated("token has no subject")
	} else if len(sub) > 255 || strings.ContainsFunc(sub, isControl) {
		return nil, badClaim("sub")
	}
	s := &warden.Subject{ID: sub}
	var err error
	if s.Email, err = stringClaim(tok, "email"); err != nil {
		return nil, err
	}
	if s.Name, err = stringClaim(tok, "name"); err != nil {
		return nil, err
	}
	tenant, err := stringClaim(tok, n.tenant)
	if err != nil {
		return nil, err
	} else if tenant != "" && !validTenant(tenant) {
		return nil, badClaim(n.tenant)
	}
	if s.Roles, err = listClaim(tok, n.role); err != nil {
		return nil, err
	}
	if s.Permissions, err = permissionsClaim(tok, n.permissions); err != nil {
		return nil, err
	}

	switch {
	case tenant == "" || tenant == warden.PersonalTenant(sub):
		// The tenant-role claim is ignored: in the personal tenant the subject is
		// its owner whatever the issuer says about some other tenant.
		s.Tenant = warden.PersonalTenant(sub)
		s.TenantRoles = []string{"owner"}
		s.Personal = true
	case strings.HasPrefix(tenant, warden.PersonalTenantPrefix):
		// Someone else's personal tenant: no organization id can take this form.
		return nil, badClaim(n.tenant)
	default:
		s.Tenant = tenant
		if s.TenantRoles, err = listClaim(tok, n.tenantRole); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// validTenant accepts organization ids as identity providers make them
// (Better Auth's random ids, UUIDs, slugs): letters, digits and . _ : @ -,
// starting with a letter or digit. Anything else, "*" included, is refused, so
// no claim can name a marker the service gives a meaning to.
func validTenant(t string) bool {
	if len(t) > 255 {
		return false
	}
	for i, r := range t {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case i > 0 && strings.ContainsRune("._:@-", r):
		default:
			return false
		}
	}
	return true
}

// isControl reports characters no identifier may hold: they cannot be stored
// (PostgreSQL refuses NUL in text) and would forge log lines.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// stringClaim returns a string claim; absent and null read as "".
func stringClaim(tok jwt.Token, name string) (string, error) {
	v, ok := tok.Get(name)
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", badClaim(name)
	}
	return s, nil
}

// listClaim reads a role claim: Better Auth's comma-separated string
// ("admin,member") or a JSON array of such strings.
func listClaim(tok jwt.Token, name string) ([]string, error) {
	v, ok := tok.Get(name)
	if !ok || v == nil {
		return []string{}, nil
	}
	switch x := v.(type) {
	case string:
		return warden.SplitList(x), nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, badClaim(name)
			}
			parts = append(parts, s)
		}
		return warden.SplitList(strings.Join(parts, ",")), nil
	}
	return nil, badClaim(name)
}

// permissionsClaim reads either ["tasks:create", ...] or Better Auth's statement
// map {"tasks": ["create", ...]} into sorted, unique "resource:action" strings.
func permissionsClaim(tok jwt.Token, name string) ([]string, error) {
	v, ok := tok.Get(name)
	if !ok || v == nil {
		return []string{}, nil
	}
	out := []string{}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, badClaim(name)
			}
			resource, action, ok := strings.Cut(strings.TrimSpace(s), ":")
			if !ok || !validPermissionPart(resource) || !validPermissionPart(action) {
				return nil, badClaim(name)
			}
			out = append(out, resource+":"+action)
		}
	case map[string]any:
		for resource, actions := range x {
			list, ok := actions.([]any)
			if !ok || !validPermissionPart(resource) {
				return nil, badClaim(name)
			}
			for _, e := range list {
				action, ok := e.(string)
				if !ok || !validPermissionPart(action) {
					return nil, badClaim(name)
				}
				out = append(out, resource+":"+action)
			}
		}
	default:
		return nil, badClaim(name)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// validPermissionPart rejects the pieces that would make "resource:action"
// ambiguous or invisible in logs.
func validPermissionPart(s string) bool {
	return s != "" && !strings.ContainsAny(s, ": \t\r\n,")
}

func badClaim(name string) error {
	return unauthenticated("invalid token claim %q", name)
}
