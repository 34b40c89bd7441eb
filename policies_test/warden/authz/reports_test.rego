# Reports and the moderation routes.
package warden.authz_test

test_allow_member_reports_post if {
	every subject in [alice, bob, ada, olga, sam] {
		allowed(subject, "reports:create", {"type": "report"})
	}
}

test_allow_member_reports_post_of_its_tenant if allowed(bob, "reports:create", public_post)

test_deny_report_post_of_another_tenant if denied_hidden(eve, "reports:create", public_post)

test_deny_report_without_permission if {
	denied_visible(mo, "reports:create", {"type": "report"}, "missing permissions: [reports:create]")
	denied_visible(vic, "reports:create", {"type": "report"}, "missing permissions: [reports:create]")
}

test_deny_anonymous_reports if {
	decide_anonymous("reports:create", {"type": "report"}).reasons == ["authentication required"]
}

test_allow_moderation_access_by_tenant_role if {
	every subject in [mo, ada, olga, sam] {
		allowed(subject, "moderation:access", {})
	}
}

test_deny_moderation_access_names_roles if {
	every subject in [alice, vic, gus, root] {
		denied_visible(subject, "moderation:access", {}, "one of roles [admin moderator owner] required")
	}
}

test_deny_moderation_access_by_claim_permission if {
	# Permissions are not roles: the guard reads tenant roles only.
	denied_visible(
		with_permissions(alice, ["reports:read", "reports:resolve"]),
		"moderation:access", {},
		"one of roles [admin moderator owner] required",
	)
}

test_allow_moderator_lists_reports if {
	every subject in [mo, ada, olga] {
		allowed(subject, "reports:read", {"type": "report"})
	}
}

test_deny_member_lists_reports if {
	denied_visible(alice, "reports:read", {"type": "report"}, "missing permissions: [reports:read]")
	denied_visible(gus, "reports:read", {"type": "report"}, "not a member of tenant t1")
}

test_allow_moderator_reads_report if allowed(mo, "reports:read", report)

test_deny_member_reads_report_invisibly if {
	# Even the reporter reads reports through the moderators only.
	denied_hidden(bob, "reports:read", report)
}

test_allow_moderator_resolves_report if {
	every subject in [mo, ada, olga] {
		allowed(subject, "reports:resolve", report)
	}
}

test_deny_member_resolves_report_invisibly if denied_hidden(alice, "reports:resolve", report)

test_deny_read_only_moderator_resolves_report if {
	reader := with_roles(with_permissions(vic, ["reports:read"]), ["viewer"])
	denied_visible(reader, "reports:resolve", report, "missing permissions: [reports:resolve]")
}

test_deny_cross_tenant_report if {
	denied_hidden(eve, "reports:read", report)
	denied_hidden(eve, "reports:resolve", report)
	denied_hidden(object.union(mo, {"tenant": "t2"}), "reports:resolve", report)
}

test_deny_global_admin_reports if {
	denied_hidden(root, "reports:read", report)
	denied_hidden(root, "reports:resolve", report)
}

test_deny_anonymous_report_routes if {
	every action in ["reports:read", "reports:resolve"] {
		d := decide_anonymous(action, report)
		not d.allow
		not d.visible
	}
	decide_anonymous("moderation:access", {}).reasons[0] == "authentication required"
}
