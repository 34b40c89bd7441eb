# Posts: public and private posts, anonymous callers, posts:moderate.
package warden.authz_test

test_allow_anonymous_lists_posts if decide_anonymous("posts:list", {}).allow

test_allow_anyone_lists_posts if {
	every subject in [alice, gus, root, eve, vic, sam] {
		allowed(subject, "posts:list", {"type": "post"})
	}
}

test_allow_anonymous_reads_public_post if {
	d := decide_anonymous("posts:read", public_post)
	d.allow
	d.visible
}

test_allow_anonymous_reads_public_post_of_any_tenant if {
	decide_anonymous("posts:read", in_tenant(public_post, "t7")).allow
}

test_deny_anonymous_reads_private_post_invisibly if {
	d := decide_anonymous("posts:read", private_post)
	not d.allow
	not d.visible
}

test_deny_anonymous_post_without_flag_invisibly if {
	d := decide_anonymous("posts:read", object.remove(public_post, ["is_public"]))
	not d.allow
	not d.visible
}

test_deny_anonymous_changes_public_post if {
	every action in ["posts:update", "posts:delete"] {
		d := decide_anonymous(action, public_post)
		not d.allow
		d.visible
		d.reasons[0] == "authentication required"
	}
}

test_deny_anonymous_creates_post if {
	d := decide_anonymous("posts:create", {"type": "post"})
	d.reasons == ["authentication required"]
}

test_allow_same_tenant_member_reads_public_post if allowed(bob, "posts:read", public_post)

test_allow_non_member_reads_public_post_of_its_tenant if allowed(gus, "posts:read", public_post)

test_deny_same_tenant_member_reads_private_post_invisibly if denied_hidden(bob, "posts:read", private_post)

test_deny_cross_tenant_reads_public_post if {
	denied_hidden(eve, "posts:read", public_post)
	denied_hidden(sam, "posts:read", public_post)
}

test_allow_owner_reads_private_post if allowed(alice, "posts:read", private_post)

test_allow_owner_updates_post if allowed(alice, "posts:update", private_post)

test_allow_owner_deletes_post if allowed(alice, "posts:delete", public_post)

test_deny_member_updates_public_post_of_another if {
	denied_visible(bob, "posts:update", public_post, "missing permissions: [posts:moderate]")
	denied_visible(bob, "posts:delete", public_post, "missing permissions: [posts:moderate]")
}

test_deny_member_updates_private_post_of_another_invisibly if denied_hidden(bob, "posts:update", private_post)

test_allow_moderator_reads_and_moderates_any_post if {
	every action in ["posts:read", "posts:update", "posts:delete"] {
		allowed(mo, action, private_post)
		allowed(ada, action, private_post)
		allowed(olga, action, private_post)
	}
}

test_allow_posts_read_permission_reads_private_post if {
	reader := with_permissions(bob, ["posts:read"])
	allowed(reader, "posts:read", private_post)
	denied_visible(reader, "posts:update", private_post, "missing permissions: [posts:moderate]")
}

test_deny_cross_tenant_moderation if {
	every action in ["posts:update", "posts:delete"] {
		denied_hidden(eve, action, public_post)
	}
}

test_deny_global_admin_private_posts if {
	denied_hidden(root, "posts:read", private_post)
	denied_hidden(object.union(root, {"tenant": "t1"}), "posts:update", private_post)
}

test_deny_custom_role_private_post if {
	denied_hidden(vic, "posts:read", private_post)
	allowed(vic, "posts:read", public_post)
}

test_deny_non_member_owner_sees_own_private_post if {
	own := owned_by(private_post, "gus")
	denied_visible(gus, "posts:read", own, "not a member of tenant t1")
	denied_visible(gus, "posts:update", own, "not a member of tenant t1")
}

test_allow_member_creates_post if {
	every subject in [alice, ada, olga, sam] {
		allowed(subject, "posts:create", {"type": "post"})
	}
}

test_deny_create_post_without_permission if {
	denied_visible(mo, "posts:create", {"type": "post"}, "missing permissions: [posts:create]")
	denied_visible(gus, "posts:create", {"type": "post"}, "not a member of tenant t1")
}

test_allow_personal_tenant_posts if {
	own := {"type": "post", "id": 5, "tenant_id": "user:sam", "owner_id": "sam", "is_public": false}
	every action in ["posts:read", "posts:update", "posts:delete"] {
		allowed(sam, action, own)
	}
}
