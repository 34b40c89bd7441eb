# Effective permissions: role permissions in the tenant plus claim permissions.
package warden.authz_test

import data.warden.authz

permissions_of(subject) := p if {
	# regal ignore:with-outside-test-context
	p := authz.effective_permissions with input as {"subject": subject}
}

test_member_permissions if {
	permissions_of(alice) == {"tasks:create", "posts:create", "reports:create"}
}

test_moderator_permissions if {
	permissions_of(mo) == {"reports:read", "reports:resolve", "posts:moderate", "users:read"}
}

test_admin_and_owner_hold_every_tenant_permission if {
	every perm in [
		"tasks:create", "tasks:read", "tasks:update", "tasks:delete", "tasks:bulk",
		"posts:create", "posts:read", "posts:moderate",
		"reports:create", "reports:read", "reports:resolve", "users:read",
	] {
		perm in permissions_of(ada)
		perm in permissions_of(olga)
	}
	permissions_of(ada) == permissions_of(olga)
}

test_personal_tenant_holds_owner_permissions if {
	permissions_of(sam) == permissions_of(olga)
}

test_claim_permissions_are_added if {
	permissions_of(with_permissions(alice, ["tasks:bulk", "custom:thing"])) == {
		"tasks:create", "posts:create", "reports:create", "tasks:bulk", "custom:thing",
	}
}

test_several_roles_add_up if {
	permissions_of(with_roles(alice, ["member", "moderator"])) == permissions_of(alice) | permissions_of(mo)
}

test_custom_role_has_no_permissions if {
	permissions_of(vic) == set()
	permissions_of(with_permissions(vic, ["tasks:read"])) == {"tasks:read"}
}

test_non_member_has_no_permissions if {
	permissions_of(gus) == set()
	permissions_of(with_permissions(gus, ["tasks:read"])) == set()
	permissions_of(root) == set()
}

test_anonymous_has_no_permissions if {
	p := authz.effective_permissions with input as {}
	p == set()
}

test_role_map_is_data if {
	p := authz.effective_permissions with input as {"subject": alice}
		with data.warden.roles.permissions.member as ["tasks:read"]
	p == {"tasks:read"}
}

test_guard_roles_are_data if {
	d := authz.decision with input as {"subject": alice, "action": "moderation:access", "resource": {}}
		with data.warden.roles.guards["moderation:access"] as {"tenant_roles": ["member"]}
	d.allow
}

test_platform_roles_are_data if {
	d := authz.decision with input as {"subject": root, "action": "admin:access", "resource": {}}
		with data.warden.roles.platform as {"roles": ["superuser"], "actions": ["admin:access"]}
	not d.allow
	d.reasons == ["one of roles [admin owner superuser] required"]
}

test_platform_without_actions_denies_platform_admin if {
	d := authz.decision with input as {"subject": root, "action": "stats:read", "resource": {}}
		with data.warden.roles.platform as {"roles": ["admin"], "actions": []}
	not d.allow
	d.reasons == ["one of roles [admin owner] required"]
}

# The decisions test single permissions with _has_permission; the listing is
# built by _permissions. Both must say the same for every subject.
test_has_permission_agrees_with_effective_permissions if {
	every subject in [alice, bob, ada, olga, mo, eve, root, vic, gus, sam, with_permissions(vic, ["x:y"])] {
		every perm in {"tasks:read", "tasks:bulk", "posts:moderate", "reports:resolve", "users:read", "x:y", "nope"} {
			listed := {1 | perm in permissions_of(subject)}
			held := {1 |
				authz._has_permission(authz._principal, perm) with input as {"subject": subject}
			}
			listed == held
		}
	}
}
