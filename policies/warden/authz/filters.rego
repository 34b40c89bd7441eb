package warden.authz

# The filter rules are partially evaluated with the row unknown. They call the
# same helpers as the single decisions, so a list can never show a row that
# the decision for <table>:read would deny, nor hide one it would allow.
#
# The service compiles each filter with the subject's real id and tenant and
# caches it per subject: filter rules may use the id and tenant freely, but
# must not read the subject's email or name, which are left out of the filter
# input.

# METADATA
# title: Task rows
# description: The rows of tasks (input.tasks) the subject may reach with input.action.
# entrypoint: true
filter_tasks if {
	input.action in {"tasks:list", "tasks:read"}
	_task_access(_principal, input.tasks, "tasks:read")
}

filter_tasks if {
	input.action in {"tasks:bulk_delete", "tasks:bulk_complete"}
	_task_own(_principal, input.tasks)
}

# METADATA
# title: Post rows
# description: The rows of posts (input.posts) the subject may read.
# entrypoint: true
filter_posts if {
	input.action in {"posts:list", "posts:read"}
	_post_readable(_principal, input.posts)
}

# METADATA
# title: Report rows
# description: The rows of reports (input.reports) the subject may read.
# entrypoint: true
filter_reports if {
	input.action == "reports:read"
	_report_readable(_principal, input.reports)
}
