# METADATA
# title: Fixtures
# description: Subjects and rows shared by the authorization tests.
package warden.authz_test

import data.warden.authz

# Subject kinds. Tenant t1 is the tenant under test.
alice := {"id": "alice", "email": "alice@example.com", "tenant": "t1", "tenant_roles": ["member"]}

bob := {"id": "bob", "tenant": "t1", "tenant_roles": ["member"]}

ada := {"id": "ada", "tenant": "t1", "tenant_roles": ["admin"]}

olga := {"id": "olga", "tenant": "t1", "tenant_roles": ["owner"]}

mo := {"id": "mo", "tenant": "t1", "tenant_roles": ["moderator"]}

# The admin of another tenant.
eve := {"id": "eve", "tenant": "t2", "tenant_roles": ["admin"]}

# A platform admin: global role admin, no role in its tenant.
root := {"id": "root", "tenant": "t9", "roles": ["admin"]}

# A custom role the role map does not know.
vic := {"id": "vic", "tenant": "t1", "tenant_roles": ["viewer"]}

# A tenant claim without a tenant role: no membership.
gus := {"id": "gus", "tenant": "t1", "tenant_roles": []}

# A token without a tenant claim, in its personal tenant.
sam := {"id": "sam", "tenant": "user:sam", "tenant_roles": ["owner"], "personal": true}

# Rows of t1 owned by alice.
task := {"type": "task", "id": 1, "tenant_id": "t1", "owner_id": "alice"}

private_post := {"type": "post", "id": 2, "tenant_id": "t1", "owner_id": "alice", "is_public": false}

public_post := {"type": "post", "id": 3, "tenant_id": "t1", "owner_id": "alice", "is_public": true}

report := {"type": "report", "id": 4, "tenant_id": "t1", "owner_id": "bob", "status": "open"}

decide(subject, action, resource) := d if {
	# regal ignore:with-outside-test-context
	d := authz.decision with input as {
		"subject": subject,
		"action": action,
		"resource": resource,
		"request": {"method": "GET", "route": "/api/test"},
	}
}

decide_anonymous(action, resource) := d if {
	# regal ignore:with-outside-test-context
	d := authz.decision with input as {"action": action, "resource": resource}
}

allowed(subject, action, resource) if decide(subject, action, resource).allow

# denied_visible and denied_hidden name the 403 and 404 outcomes.
denied_visible(subject, action, resource, reason) if {
	d := decide(subject, action, resource)
	not d.allow
	d.visible
	d.reasons[0] == reason
}

denied_hidden(subject, action, resource) if {
	d := decide(subject, action, resource)
	not d.allow
	not d.visible
	count(d.reasons) > 0
}

# with_roles gives a subject other tenant roles.
with_roles(subject, roles) := object.union(subject, {"tenant_roles": roles})

with_permissions(subject, perms) := object.union(subject, {"permissions": perms})

in_tenant(row, tenant) := object.union(row, {"tenant_id": tenant})

owned_by(row, owner) := object.union(row, {"owner_id": owner})
