package warden

// Resource is what a decision is about. Its JSON form is input.resource in the
// policy input document; the tenant and owner fields use the column names of the
// tables so that the same Rego serves single decisions and list filters.
type Resource struct {
	Type     string `json:"type"`
	ID       int64  `json:"id,omitempty"`
	TenantID string `json:"tenant_id,omitempty"`
	OwnerID  string `json:"owner_id,omitempty"`
	IsPublic *bool  `json:"is_public,omitempty"`
	Status   string `json:"status,omitempty"`
	// Count is the number of items of a bulk request.
	Count int `json:"count,omitempty"`
}

// AuthzRequest is one question to the policy: may Subject do Action on Resource?
// A nil Subject is an anonymous caller.
type AuthzRequest struct {
	Subject  *Subject
	Action   string // "tasks:update", "moderation:access", ...
	Resource Resource
	Method   string // HTTP method of the request being decided
	Route    string // Gin route template ("/api/tasks/:id")
}

// Decision is the policy's answer. Visible says whether the subject may learn
// that the resource exists: a denied, invisible resource answers 404 exactly like
// a missing one; a denied, visible one answers 403 with the Reasons.
//
// Undecided marks a deny the policy did not reach on its merits: evaluation
// failed or ran out of time. It is still a deny (nothing happens), but the API
// answers 503 with Retry-After rather than a 403 that would tell the client it
// lacks a right it may well have.
type Decision struct {
	ID        string   `json:"decision_id"`
	Allow     bool     `json:"allow"`
	Visible   bool     `json:"visible"`
	Reasons   []string `json:"reasons"`
	Revision  string   `json:"revision"`
	Undecided bool     `json:"undecided,omitempty"`
}
