package warden.authz

_task_owner(subject, task) if {
	subject.authenticated == true
	task.owner_id == subject.id
}

# A task is visible to its owner and to holders of tasks:read in its tenant.
_task_visible(subject, task) if {
	_same_tenant(subject, task)
	_task_owner(subject, task)
}

_task_visible(subject, task) if {
	_same_tenant(subject, task)
	_has_permission(subject, "tasks:read")
}

# The owner, or a holder of perm, may act on a task it can see; both need
# membership (permissions imply it).
_task_access(subject, task, _) if _task_own(subject, task)

_task_access(subject, task, perm) if {
	_task_visible(subject, task)
	_has_permission(subject, perm)
}

_task_own(subject, task) if {
	subject.member == true
	_same_tenant(subject, task)
	_task_owner(subject, task)
}
