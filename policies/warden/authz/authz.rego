# METADATA
# title: Warden authorization
# description: |
#   Every authorization decision of the Warden API. The service verifies the
#   token in Go and asks data.warden.authz.decision with the input document
#   {"subject", "action", "resource", "request"}; list routes ask the filter_*
#   rules with the table row unknown (input.tasks, input.posts, input.reports)
#   and turn the residual policy into SQL, so lists and single decisions share
#   the same helper rules. Role permissions and route guards are data
#   (data.warden.roles).
# scope: package
package warden.authz

# METADATA
# title: Decision
# description: |
#   allow: may the subject do input.action on input.resource.
#   visible: may the subject learn that the resource exists (false answers 404).
#   reasons: why it was denied, most fundamental first; empty when allowed.
# entrypoint: true
decision := {"allow": allow, "visible": visible, "reasons": reasons}

# METADATA
# title: Effective permissions
# description: The subject's role permissions in its tenant plus its claim permissions.
# entrypoint: true
effective_permissions := _permissions(_principal)

# METADATA
# title: Allow
# description: |
#   True when every requirement of input.action holds: a known action, a
#   subject when the action needs one, membership, permissions, the route's
#   tenant roles, the tenant of the resource and access to the row.
# scope: document
default allow := false

# Every requirement is checked in its good state: a missing field leaves it
# undefined, which denies.
allow if {
	_known_action
	_subject_ok
	_member_ok
	_permissions_ok
	_guard_ok
	_tenant_ok
	_access_ok
}

# METADATA
# title: Visible
# description: |
#   True when the subject may learn that the resource exists: always when
#   allowed; for an action not about one row, when the tenant check passes;
#   for a row, when the subject could see that row.
# scope: document
default visible := false

visible if allow

visible if {
	not _concrete
	_tenant_ok
}

visible if {
	_concrete
	_sees
}

# METADATA
# title: Reasons
# description: |
#   Why the decision denies, most fundamental first; empty when allowed. A
#   deny always carries at least one reason, so callers can show reasons[0].
# scope: document
default reasons := ["denied by policy"]

reasons := [] if allow

reasons := [reason | some [_, reason] in sort(_failures)] if {
	not allow
	count(_failures) > 0
}

default _resource := {}

_resource := input.resource if is_object(input.resource)

# Each failure is [stage, reason]: sorting puts the most fundamental first.
_failures contains [0, "unknown action"] if not _known_action

_failures contains [1, "authentication required"] if not _subject_ok

_failures contains [2, "resource belongs to another tenant"] if not _tenant_ok

_failures contains [2, _not_member_reason(_principal)] if {
	_principal.authenticated == true
	not _member_ok
}

_failures contains [3, _missing_reason(_missing)] if {
	_principal.member == true
	not _permissions_ok
}

_failures contains [3, sprintf("one of roles [%s] required", [concat(" ", _guard_roles)])] if not _guard_ok

_failures contains _access_failure if not _access_ok

_not_member_reason(subject) := sprintf("not a member of tenant %s", [subject.tenant]) if subject.tenant != ""

_not_member_reason(subject) := "not a member of any tenant" if subject.tenant == ""

_missing_reason(missing) := sprintf("missing permissions: [%s]", [concat(" ", sort(missing))])
