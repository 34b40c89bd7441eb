// The Better Auth half of the interop test, driven through the same steps as
// examples/client.mjs. Prints one JSON document on stdout:
//
//   {"users": [{"email", "user_id", "org_id", "token"}, ...],   // two users, each in its own organization
//    "joined_token":  "...",   // user two while a member of user one's organization
//    "removed_token": "..."}   // user two after user one removed that membership
//
// AUTH_URL names the issuer. Everything else goes to stderr.

import { randomBytes } from "node:crypto";
import process from "node:process";

import { authRequest, fetchToken, login } from "../examples/client.mjs";

function expect(res, want, what) {
  if (res.status !== want) {
    throw new Error(`${what}: status ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

async function run(authURL) {
  const run = randomBytes(4).toString("hex");
  const people = [
    { email: `alice-${run}@example.com`, password: `alice-password-${run}`, name: "Alice" },
    { email: `bob-${run}@example.com`, password: `bob-password-${run}`, name: "Bob" },
  ];
  const [alice, bob] = [await login(authURL, people[0]), await login(authURL, people[1])];

  // Bob joins Alice's organization as a plain member; accepting makes it his
  // active organization.
  const invitation = expect(
    await authRequest(authURL, alice.jar, "POST", "/organization/invite-member", {
      email: bob.user.email,
      role: "member",
      organizationId: alice.org.id,
    }),
    200,
    "invite member",
  );
  expect(
    await authRequest(authURL, bob.jar, "POST", "/organization/accept-invitation", {
      invitationId: invitation.id,
    }),
    200,
    "accept invitation",
  );
  const joinedToken = await fetchToken(authURL, bob.jar);

  // Alice removes him. His session still names her organization as active;
  // the next token must carry no tenant claims at all.
  expect(
    await authRequest(authURL, alice.jar, "POST", "/organization/remove-member", {
      memberIdOrEmail: bob.user.email,
      organizationId: alice.org.id,
    }),
    200,
    "remove member",
  );
  const removedToken = await fetchToken(authURL, bob.jar);

  return {
    users: [alice, bob].map((u) => ({
      email: u.user.email,
      user_id: u.user.id,
      org_id: u.org.id,
      token: u.token,
    })),
    joined_token: joinedToken,
    removed_token: removedToken,
  };
}

const authURL = process.env.AUTH_URL;
if (!authURL) {
  console.error("scenario: AUTH_URL is required");
  process.exit(2);
}
run(authURL).then(
  (out) => process.stdout.write(`${JSON.stringify(out)}\n`),
  (err) => {
    console.error(`scenario: ${err.message}`);
    process.exit(1);
  },
);
