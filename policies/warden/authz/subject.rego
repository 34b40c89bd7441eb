package warden.authz

import data.warden.roles

default _subject := {}

_subject := input.subject if is_object(input.subject)

# The subject as every rule reads it, derived once per query from
# input.subject: helpers take it as an argument and only look fields up.
# Anonymous callers get the same shape with nothing granted. One rule with
# local variables, and no permission set built up front: each rule and each
# iteration has a cost, while a membership test of an array does not.
_principal := {
	"id": id,
	"tenant": tenant,
	"authenticated": id != "",
	"member": member,
	"tenant_roles": tenant_roles,
	"global_roles": object.get(_subject, "roles", []),
	"claims": object.get(_subject, "permissions", []),
} if {
	# A subject whose id or tenant is not a string has no principal at all,
	# and every rule that needs one denies.
	id := object.get(_subject, "id", "")
	is_string(id)
	tenant := object.get(_subject, "tenant", "")
	is_string(tenant)

	# The personal tenant of a token without a tenant claim is the
	# subject's own: it holds the owner role there.
	tenant_roles := array.concat(
		object.get(_subject, "tenant_roles", []),
		["owner" | _subject.personal == true],
	)

	# A tenant claim without a tenant role proves no membership.
	member := {id != "", tenant != "", count(tenant_roles) > 0} == {true}
}

# Helpers read subject.authenticated and subject.member directly: on the
# hot path a field test is much cheaper than a function call.

# "*" names every tenant in the platform-wide admin reads: no subject is a
# member of it, whatever its token says.
_same_tenant(subject, resource) if {
	subject.authenticated == true
	not subject.tenant in {"", "*"}
	resource.tenant_id == subject.tenant
}

# Role permissions in the tenant plus claim permissions, and nothing for a
# subject that is not a member: its claims grant nothing on tenant data.
_has_permission(subject, perm) if {
	subject.member == true
	perm in subject.claims
}

_has_permission(subject, perm) if {
	subject.member == true
	some role in subject.tenant_roles
	perm in roles.permissions[role]
}

_permissions(subject) := {perm |
	subject.member == true
	some perm in subject.claims
} | {perm |
	subject.member == true
	some role in subject.tenant_roles
	some perm in roles.permissions[role]
}
