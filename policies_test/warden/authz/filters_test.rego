# Filter rules, evaluated here with a known row: the service evaluates them
# partially with the row unknown. Each must agree with the decision for
# <table>:read on the same row.
package warden.authz_test

import data.warden.authz

task_row(row, subject, action) if {
	# regal ignore:with-outside-test-context
	authz.filter_tasks with input as {"subject": subject, "action": action, "tasks": row}
}

post_row(row, subject, action) if {
	# regal ignore:with-outside-test-context
	authz.filter_posts with input as {"subject": subject, "action": action, "posts": row}
}

anonymous_post_row(row, action) if {
	# regal ignore:with-outside-test-context
	authz.filter_posts with input as {"action": action, "posts": row}
}

report_row(row, subject) if {
	# regal ignore:with-outside-test-context
	authz.filter_reports with input as {"subject": subject, "action": "reports:read", "reports": row}
}

test_filter_tasks_owner_sees_own_rows if {
	task_row(task, alice, "tasks:list")
	task_row(task, alice, "tasks:read")
	not task_row(task, bob, "tasks:list")
}

test_filter_tasks_admin_sees_tenant_rows if {
	task_row(task, ada, "tasks:list")
	not task_row(in_tenant(task, "t2"), ada, "tasks:list")
}

test_filter_tasks_cross_tenant_sees_nothing if {
	not task_row(task, eve, "tasks:list")
	not task_row(task, root, "tasks:list")
	not task_row(task, object.union(alice, {"tenant": "t2"}), "tasks:list")
}

test_filter_tasks_non_member_sees_nothing if {
	not task_row(owned_by(task, "gus"), gus, "tasks:list")
}

test_filter_tasks_bulk_rows_are_own_even_for_admins if {
	every action in ["tasks:bulk_delete", "tasks:bulk_complete"] {
		task_row(task, alice, action)
		not task_row(task, ada, action)
		task_row(owned_by(task, "ada"), ada, action)
		not task_row(owned_by(task, "gus"), gus, action)
	}
}

test_filter_tasks_other_actions_see_nothing if {
	not task_row(task, ada, "tasks:update")
	not task_row(task, ada, "posts:list")
}

test_filter_posts_anonymous_sees_public_rows_of_every_tenant if {
	anonymous_post_row(public_post, "posts:list")
	anonymous_post_row(in_tenant(public_post, "t7"), "posts:read")
	not anonymous_post_row(private_post, "posts:list")
}

test_filter_posts_subject_sees_public_and_own if {
	post_row(public_post, bob, "posts:list")
	not post_row(private_post, bob, "posts:list")
	post_row(private_post, alice, "posts:list")
	not post_row(in_tenant(public_post, "t2"), bob, "posts:list")
}

test_filter_posts_moderator_sees_every_tenant_row if {
	post_row(private_post, mo, "posts:list")
	not post_row(in_tenant(private_post, "t2"), mo, "posts:list")
}

test_filter_posts_other_actions_see_nothing if {
	not post_row(public_post, ada, "posts:update")
}

test_filter_reports_moderators_only if {
	report_row(report, mo)
	report_row(report, ada)
	not report_row(report, bob)
	not report_row(report, eve)
	not report_row(in_tenant(report, "t2"), mo)
}

# The filters and the decisions call the same helpers; these check it on a
# grid of rows and subjects ({1 | x} is {1} when x holds, else empty).
grid_subjects := [alice, bob, ada, olga, mo, eve, root, vic, gus, sam]

grid_rows(type) := [row |
	some tenant in ["t1", "t2"]
	some owner in ["alice", "gus"]
	some public in [true, false]
	row := {"type": type, "id": 1, "tenant_id": tenant, "owner_id": owner, "is_public": public, "status": "open"}
]

test_task_filter_agrees_with_decision if {
	every subject in grid_subjects {
		every t in grid_rows("task") {
			{1 | task_row(t, subject, "tasks:read")} == {1 | allowed(subject, "tasks:read", t)}
		}
	}
}

test_post_filter_agrees_with_decision if {
	every subject in grid_subjects {
		every p in grid_rows("post") {
			{1 | post_row(p, subject, "posts:read")} == {1 | allowed(subject, "posts:read", p)}
		}
	}
	every p in grid_rows("post") {
		{1 | anonymous_post_row(p, "posts:read")} == {1 | decide_anonymous("posts:read", p).allow}
	}
}

test_report_filter_agrees_with_decision if {
	every subject in grid_subjects {
		every r in grid_rows("report") {
			{1 | report_row(r, subject)} == {1 | allowed(subject, "reports:read", r)}
		}
	}
}
