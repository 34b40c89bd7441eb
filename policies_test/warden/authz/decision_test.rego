# The shape of the decision and the rules every action shares.
package warden.authz_test

import data.warden.authz

test_decision_has_allow_visible_reasons if {
	d := decide(alice, "tasks:read", task)
	d == {"allow": true, "visible": true, "reasons": []}
}

test_deny_empty_input if {
	d := authz.decision with input as {}
	d.allow == false
	d.reasons[0] == "unknown action"
}

test_deny_unknown_action if {
	denied_visible(ada, "tasks:frobnicate", {}, "unknown action")
}

test_deny_unknown_action_even_for_owner_role if {
	d := decide(olga, "tasks:import_everything", {})
	not d.allow
	"unknown action" in d.reasons
}

test_deny_action_that_is_not_a_string if {
	d := decide(ada, 42, {})
	not d.allow
	d.reasons[0] == "unknown action"
}

test_allow_any_subject_reads_me if {
	allowed(alice, "me:read", {})
	allowed(gus, "me:read", {})
	allowed(root, "me:read", {})
	allowed(vic, "me:read", {})
	allowed(sam, "me:read", {})
}

test_deny_anonymous_reads_me if {
	d := decide_anonymous("me:read", {})
	not d.allow
	d.visible
	d.reasons == ["authentication required"]
}

test_deny_subject_without_id if {
	d := decide({"tenant": "t1", "tenant_roles": ["admin"]}, "tasks:list", {})
	not d.allow
	d.reasons[0] == "authentication required"
}

test_deny_subject_with_empty_id if {
	not allowed({"id": "", "tenant": "t1", "tenant_roles": ["admin"]}, "tasks:create", {})
}

test_deny_subject_that_is_not_an_object if {
	not allowed("alice", "me:read", {})
}

test_deny_without_resource_for_row_action if {
	d := authz.decision with input as {"subject": alice, "action": "tasks:read"}
	not d.allow
	not d.visible
}

test_deny_wrong_resource_type if {
	d := decide(ada, "tasks:update", object.union(task, {"type": "post"}))
	not d.allow
	d.reasons[0] == "tasks:update needs a task resource"
}

test_deny_resource_without_type if {
	d := decide(ada, "tasks:update", object.remove(task, ["type"]))
	not d.allow
	d.reasons[0] == "tasks:update needs a task resource"
}

test_deny_cross_tenant_is_invisible_for_every_row_action if {
	every action in ["tasks:read", "tasks:update", "tasks:delete"] {
		denied_hidden(eve, action, task)
	}
	every action in ["posts:read", "posts:update", "posts:delete"] {
		denied_hidden(eve, action, public_post)
	}
	every action in ["reports:read", "reports:resolve"] {
		denied_hidden(eve, action, report)
	}
}

test_deny_cross_tenant_route_action_is_invisible if {
	d := decide(eve, "reports:create", in_tenant({"type": "post", "id": 9}, "t1"))
	not d.allow
	not d.visible
	d.reasons[0] == "resource belongs to another tenant"
}

test_deny_cross_tenant_reasons_are_ordered if {
	d := decide(eve, "tasks:update", task)
	d.reasons == ["resource belongs to another tenant", "resource not visible"]
}

test_deny_not_member_of_tenant if {
	denied_visible(gus, "tasks:list", {}, "not a member of tenant t1")
}

test_deny_subject_without_tenant if {
	d := decide({"id": "x", "tenant_roles": ["admin"]}, "tasks:list", {})
	not d.allow
	d.reasons == ["not a member of any tenant"]
}

test_reasons_empty_when_allowed if {
	decide(olga, "tasks:import", {"type": "task", "count": 10}).reasons == []
}

test_request_is_ignored_by_the_decision if {
	d1 := authz.decision with input as {"subject": alice, "action": "tasks:read", "resource": task}
	d2 := decide(alice, "tasks:read", task)
	d1 == d2
}

test_deny_without_failures_still_has_a_reason if {
	# A safety net: should a denial ever find no failure, it still says why.
	d := authz.decision with input as {"subject": bob, "action": "tasks:read", "resource": task}
		with authz._failures as set()
	d.allow == false
	d.reasons == ["denied by policy"]
}
