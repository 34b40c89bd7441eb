package warden

import "strings"

// PersonalTenantPrefix prefixes the tenant of a token that names no tenant:
// such a subject works alone in "user:<sub>", holding the owner role there.
const PersonalTenantPrefix = "user:"

// Subject is the verified identity behind a request, built from JWT claims only.
// A nil *Subject is an anonymous caller (optional-auth routes only).
type Subject struct {
	ID          string   `json:"id"`
	Email       string   `json:"email"`
	Name        string   `json:"name"`
	Tenant      string   `json:"tenant"`
	TenantRoles []string `json:"tenant_roles"`
	Roles       []string `json:"roles"`
	Permissions []string `json:"permissions"`
	// Personal is true when the token named no tenant and Tenant is the personal tenant.
	Personal bool `json:"personal"`
}

// PersonalTenant returns the personal tenant id of a subject id.
func PersonalTenant(sub string) string { return PersonalTenantPrefix + sub }

// SplitList splits a comma-separated claim ("admin,member") into trimmed,
// non-empty, de-duplicated items in their first order. Better Auth stores
// several roles this way.
func SplitList(s string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	return out
}
