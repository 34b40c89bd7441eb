# Admin routes: tenant admins and owners, and platform admins.
package warden.authz_test

test_allow_admin_access_by_tenant_role if {
	every subject in [ada, olga, sam] {
		allowed(subject, "admin:access", {})
	}
}

test_allow_global_admin_admin_access_for_every_tenant if {
	allowed(root, "admin:access", {})
	allowed(root, "admin:access", {"type": "tenant", "tenant_id": "t1"})
	allowed(root, "admin:access", {"type": "tenant", "tenant_id": "t2"})
}

test_deny_admin_access_names_roles if {
	every subject in [alice, mo, vic, gus] {
		denied_visible(subject, "admin:access", {}, "one of roles [admin owner] required")
	}
}

test_deny_tenant_admin_admin_access_for_another_tenant if {
	denied_hidden(eve, "admin:access", {"type": "tenant", "tenant_id": "t1"})
}

test_deny_anonymous_admin_access if {
	d := decide_anonymous("admin:access", {})
	d.reasons == ["authentication required", "one of roles [admin owner] required"]
}

test_allow_stats_for_admins if {
	every subject in [ada, olga, root] {
		allowed(subject, "stats:read", {})
	}
	allowed(root, "stats:read", {"type": "tenant", "tenant_id": "t1"})
}

test_deny_stats_for_members if {
	denied_visible(alice, "stats:read", {}, "one of roles [admin owner] required")
	denied_visible(mo, "stats:read", {}, "one of roles [admin owner] required")
}

test_allow_users_read_by_permission if {
	every subject in [ada, olga, mo] {
		allowed(subject, "users:read", {})
	}
}

test_deny_users_read_for_members if {
	denied_visible(alice, "users:read", {}, "missing permissions: [users:read]")
}

test_allow_global_admin_reads_users_of_any_tenant if {
	# The users seen by the service are admin data, not tenant data.
	allowed(root, "users:read", {})
	allowed(root, "users:read", {"type": "user", "tenant_id": "t1"})
}

test_deny_users_read_of_another_tenant if {
	denied_hidden(eve, "users:read", {"type": "user", "tenant_id": "t1"})
}

test_deny_star_tenant_admin_reads_every_tenant if {
	mallory := {"id": "mallory", "tenant": "*", "tenant_roles": ["admin"]}
	not allowed(mallory, "users:read", {"type": "tenant", "tenant_id": "*"})
	not allowed(mallory, "stats:read", {"type": "tenant", "tenant_id": "*"})
}
