package warden.authz

_report_readable(subject, report) if {
	_same_tenant(subject, report)
	_has_permission(subject, "reports:read")
}

_report_resolvable(subject, report) if {
	_report_readable(subject, report)
	_has_permission(subject, "reports:resolve")
}
