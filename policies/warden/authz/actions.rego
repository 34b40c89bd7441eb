package warden.authz

import data.warden.roles

# Every action the service asks about; anything else is denied. For each:
#   public:      anonymous callers may ask (otherwise a subject is required)
#   member:      the subject must be a member of its tenant (hold a tenant role)
#   permissions: permissions it needs whatever the resource
#   row:         the type of the one existing row it acts on
#   row_if_named: the row is checked only when the resource names a tenant
#                (reports:read guards both the moderation list and one report)
#   override:    the permission that lets a subject act on rows it does not own
# Route guards by role are data: roles.guards.
_catalogue := {
	"me:read": {},
	"tasks:list": {"member": true},
	"tasks:create": {"member": true, "permissions": {"tasks:create"}},
	"tasks:read": {"member": true, "row": "task", "override": "tasks:read"},
	"tasks:update": {"member": true, "row": "task", "override": "tasks:update"},
	"tasks:delete": {"member": true, "row": "task", "override": "tasks:delete"},
	"tasks:bulk_create": {"member": true, "permissions": {"tasks:create"}},
	"tasks:import": {"member": true, "permissions": {"tasks:create", "tasks:bulk"}},
	"tasks:bulk_delete": {"member": true},
	"tasks:bulk_complete": {"member": true},
	"posts:list": {"public": true},
	"posts:read": {"public": true, "row": "post", "override": "posts:read"},
	"posts:create": {"member": true, "permissions": {"posts:create"}},
	"posts:update": {"member": true, "row": "post", "override": "posts:moderate"},
	"posts:delete": {"member": true, "row": "post", "override": "posts:moderate"},
	"reports:create": {"member": true, "permissions": {"reports:create"}},
	"reports:read": {
		"member": true, "permissions": {"reports:read"},
		"row": "report", "row_if_named": true, "override": "reports:read",
	},
	"reports:resolve": {
		"member": true, "permissions": {"reports:resolve"},
		"row": "report", "override": "reports:resolve",
	},
	"moderation:access": {},
	"admin:access": {},
	"users:read": {"member": true, "permissions": {"users:read"}},
	"stats:read": {},
}

# The checks below read the action, the principal and the resource of this
# query; each is evaluated once and shared by allow, visible and the reasons.
_spec := _catalogue[input.action]

_known_action if _spec

_concrete if {
	_spec.row
	not _spec.row_if_named
}

_concrete if {
	_spec.row_if_named
	_resource.tenant_id
}

_subject_ok if _spec.public

_subject_ok if _principal.authenticated == true

_member_ok if not _spec.member

_member_ok if _principal.member == true

_member_ok if _platform_ok

_permissions_ok if not _spec.permissions

_permissions_ok if count(_missing) == 0

_permissions_ok if _platform_ok

_missing contains perm if {
	some perm in _spec.permissions
	not _has_permission(_principal, perm)
}

_guard_ok if not roles.guards[input.action]

_guard_ok if {
	some role in _principal.tenant_roles
	role in roles.guards[input.action].tenant_roles
}

_guard_ok if _platform_ok

_guard_roles := sort({role | some role in roles.guards[input.action].tenant_roles} | {role |
	input.action in roles.platform.actions
	some role in roles.platform.roles
})

# Platform roles (global roles such as Better Auth's admin) reach the platform
# actions (admin routes) of every tenant without membership, permission or
# tenant role; they reach no tenant data.
_platform_ok if {
	input.action in roles.platform.actions
	some role in _principal.global_roles
	role in roles.platform.roles
}

# Tenant isolation: a row of another tenant is neither changed nor seen, except
# by platform roles on platform actions, and public posts by anonymous callers
# (who have no tenant).
_tenant_ok if not _resource.tenant_id

_tenant_ok if _same_tenant(_principal, _resource)

_tenant_ok if _platform_ok

_tenant_ok if {
	_spec.public
	_principal.authenticated == false
}

_access_ok if not _concrete

# Every _may implies the row is visible (nothing is changed unseen), so
# allow never needs _sees.
_access_ok if {
	_concrete
	_type_ok
	_may(input.action, _principal, _resource)
}

_type_ok if _resource.type == _spec.row

_sees if {
	_type_ok
	_visible_row(_resource.type, _principal, _resource)
}

_visible_row("task", subject, row) if _task_visible(subject, row)

_visible_row("post", subject, row) if _post_visible(subject, row)

_visible_row("report", subject, row) if _report_readable(subject, row)

_may("tasks:read", subject, row) if _task_access(subject, row, "tasks:read")

_may("tasks:update", subject, row) if _task_access(subject, row, "tasks:update")

_may("tasks:delete", subject, row) if _task_access(subject, row, "tasks:delete")

_may("posts:read", subject, row) if _post_readable(subject, row)

_may("posts:update", subject, row) if _post_changeable(subject, row)

_may("posts:delete", subject, row) if _post_changeable(subject, row)

_may("reports:read", subject, row) if _report_readable(subject, row)

_may("reports:resolve", subject, row) if _report_resolvable(subject, row)

_access_failure := [0, sprintf("%s needs a %s resource", [input.action, _spec.row])] if not _type_ok

_access_failure := [2, "resource not visible"] if {
	_type_ok
	not _sees
}

_access_failure := [2, _not_member_reason(_principal)] if {
	_sees
	not _principal.member == true
}

_access_failure := [3, _missing_reason({_spec.override})] if {
	_sees
	_principal.member == true
}
