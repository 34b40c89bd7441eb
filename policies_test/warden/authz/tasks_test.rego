# Tasks: ownership, tasks:* permissions, bulk routes and tenant isolation.
package warden.authz_test

test_allow_owner_reads_task if allowed(alice, "tasks:read", task)

test_allow_owner_updates_task if allowed(alice, "tasks:update", task)

test_allow_owner_deletes_task if allowed(alice, "tasks:delete", task)

test_deny_same_tenant_member_reads_task_invisibly if denied_hidden(bob, "tasks:read", task)

test_deny_same_tenant_member_updates_task_invisibly if denied_hidden(bob, "tasks:update", task)

test_deny_same_tenant_member_deletes_task_invisibly if denied_hidden(bob, "tasks:delete", task)

test_allow_tenant_admin_on_any_task if {
	every action in ["tasks:read", "tasks:update", "tasks:delete"] {
		allowed(ada, action, task)
	}
}

test_allow_tenant_owner_on_any_task if {
	every action in ["tasks:read", "tasks:update", "tasks:delete"] {
		allowed(olga, action, task)
	}
}

test_deny_moderator_task_invisibly if {
	every action in ["tasks:read", "tasks:update", "tasks:delete"] {
		denied_hidden(mo, action, task)
	}
}

test_deny_cross_tenant_read if denied_hidden(eve, "tasks:read", task)

test_deny_cross_tenant_admin_updates_task if denied_hidden(eve, "tasks:update", task)

test_deny_other_tenant_owner_of_same_id if {
	# The same owner id in another tenant proves nothing.
	denied_hidden(object.union(alice, {"tenant": "t2"}), "tasks:read", task)
}

test_deny_global_admin_task_data if {
	every action in ["tasks:read", "tasks:update", "tasks:delete"] {
		denied_hidden(root, action, task)
	}
	denied_hidden(object.union(root, {"tenant": "t1"}), "tasks:read", task)
}

test_deny_custom_role_task_invisibly if denied_hidden(vic, "tasks:read", task)

test_deny_personal_tenant_reads_other_tenant_task if denied_hidden(sam, "tasks:read", task)

test_allow_personal_tenant_owns_its_tasks if {
	own := {"type": "task", "id": 7, "tenant_id": "user:sam", "owner_id": "sam"}
	every action in ["tasks:read", "tasks:update", "tasks:delete"] {
		allowed(sam, action, own)
	}
}

test_allow_personal_flag_grants_owner_role if {
	# The owner role of a personal tenant holds even without the role claim.
	bare := {"id": "sam", "tenant": "user:sam", "personal": true}
	other := {"type": "task", "id": 8, "tenant_id": "user:sam", "owner_id": "someone"}
	allowed(bare, "tasks:read", other)
	allowed(bare, "tasks:import", {})
}

test_deny_non_member_owner_sees_but_cannot_read if {
	own := owned_by(task, "gus")
	denied_visible(gus, "tasks:read", own, "not a member of tenant t1")
	denied_visible(gus, "tasks:update", own, "not a member of tenant t1")
}

test_deny_non_member_with_claim_permission if {
	denied_hidden(with_permissions(gus, ["tasks:read"]), "tasks:read", task)
}

test_allow_claim_permission_reads_any_task if {
	allowed(with_permissions(bob, ["tasks:read"]), "tasks:read", task)
}

test_deny_read_without_update_permission_is_visible if {
	reader := with_permissions(bob, ["tasks:read"])
	denied_visible(reader, "tasks:update", task, "missing permissions: [tasks:update]")
	denied_visible(reader, "tasks:delete", task, "missing permissions: [tasks:delete]")
}

test_deny_update_permission_without_read_is_invisible if {
	# A task the subject cannot see cannot be changed either.
	denied_hidden(with_permissions(bob, ["tasks:update"]), "tasks:update", task)
}

test_deny_anonymous_tasks if {
	every action in ["tasks:read", "tasks:update", "tasks:delete"] {
		d := decide_anonymous(action, task)
		not d.allow
		not d.visible
	}
	d := decide_anonymous("tasks:list", {})
	not d.allow
	d.reasons[0] == "authentication required"
}

test_allow_member_lists_tasks if {
	every subject in [alice, bob, ada, olga, mo, vic, sam] {
		allowed(subject, "tasks:list", {"type": "task"})
	}
}

test_deny_tasks_list_without_membership if {
	denied_visible(gus, "tasks:list", {}, "not a member of tenant t1")
	denied_visible(root, "tasks:list", {}, "not a member of tenant t9")
}

test_allow_member_creates_task if {
	every subject in [alice, ada, olga, sam] {
		allowed(subject, "tasks:create", {"type": "task"})
	}
}

test_deny_create_without_permission if {
	denied_visible(mo, "tasks:create", {"type": "task"}, "missing permissions: [tasks:create]")
	denied_visible(vic, "tasks:create", {"type": "task"}, "missing permissions: [tasks:create]")
}

test_allow_claim_permission_creates_task if {
	allowed(with_permissions(vic, ["tasks:create"]), "tasks:create", {"type": "task"})
}

test_deny_create_in_another_tenant if {
	denied_hidden(alice, "tasks:create", {"type": "task", "tenant_id": "t2"})
}

test_allow_bulk_create_with_create_permission if {
	allowed(alice, "tasks:bulk_create", {"type": "task", "count": 100})
}

test_deny_bulk_create_without_create_permission if {
	denied_visible(mo, "tasks:bulk_create", {"type": "task", "count": 2}, "missing permissions: [tasks:create]")
}

test_deny_member_import_missing_bulk if {
	denied_visible(alice, "tasks:import", {"type": "task", "count": 5}, "missing permissions: [tasks:bulk]")
}

test_deny_import_lists_every_missing_permission_sorted if {
	denied_visible(vic, "tasks:import", {}, "missing permissions: [tasks:bulk tasks:create]")
	denied_visible(mo, "tasks:import", {}, "missing permissions: [tasks:bulk tasks:create]")
}

test_allow_import_with_claimed_bulk if {
	allowed(with_permissions(alice, ["tasks:bulk"]), "tasks:import", {})
}

test_allow_admin_and_owner_import if {
	allowed(ada, "tasks:import", {})
	allowed(olga, "tasks:import", {})
	allowed(sam, "tasks:import", {})
}

test_deny_import_without_membership_names_membership if {
	d := decide(gus, "tasks:import", {})
	not d.allow
	d.reasons == ["not a member of tenant t1"]
}

test_allow_member_bulk_delete_and_complete if {
	every action in ["tasks:bulk_delete", "tasks:bulk_complete"] {
		every subject in [alice, bob, mo, vic, ada, sam] {
			allowed(subject, action, {"type": "task"})
		}
	}
}

test_deny_bulk_delete_and_complete_without_membership if {
	every action in ["tasks:bulk_delete", "tasks:bulk_complete"] {
		denied_visible(gus, action, {}, "not a member of tenant t1")
		not allowed(root, action, {})
		not decide_anonymous(action, {}).allow
	}
}
