package warden.authz

_post_owner(subject, post) if {
	subject.authenticated == true
	post.owner_id == subject.id
}

# Anonymous callers read the public posts of every tenant; a subject reads the
# public posts of its tenant, its own posts, and every post of its tenant with
# posts:read or posts:moderate.
_post_readable(subject, post) if {
	subject.authenticated == false
	post.is_public == true
}

_post_readable(subject, post) if {
	_same_tenant(subject, post)
	post.is_public == true
}

_post_readable(subject, post) if {
	subject.member == true
	_same_tenant(subject, post)
	_post_owner(subject, post)
}

_post_readable(subject, post) if {
	_same_tenant(subject, post)
	some perm in {"posts:read", "posts:moderate"}
	_has_permission(subject, perm)
}

# An owner who left the tenant still sees its post exists (403, not 404).
_post_visible(subject, post) if _post_readable(subject, post)

_post_visible(subject, post) if {
	_same_tenant(subject, post)
	_post_owner(subject, post)
}

_post_changeable(subject, post) if {
	subject.member == true
	_same_tenant(subject, post)
	_post_owner(subject, post)
}

_post_changeable(subject, post) if {
	_same_tenant(subject, post)
	_has_permission(subject, "posts:moderate")
}
