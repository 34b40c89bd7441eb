// A Warden client in plain Node 20 (fetch only): sign in with Better Auth, pick
// an organization, trade the session for a JWT, then call Warden with it.
//
//   AUTH_URL=http://localhost:3000 WARDEN_URL=http://localhost:8080 node examples/client.mjs
//
// Optional: EMAIL, PASSWORD, NAME (a user that does not exist yet is signed up).
// Exits non-zero on the first unexpected status. The steps are exported so the
// interop test drives Better Auth with exactly this code.

import process from "node:process";
import { pathToFileURL } from "node:url";

// CookieJar keeps the cookies Better Auth sets, like a browser would for one site.
export class CookieJar {
  #cookies = new Map();

  update(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a));
      if (expired || value === "") this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header() {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  get size() {
    return this.#cookies.size;
  }
}

// HTTPError carries the response of a call that did not answer as expected.
export class HTTPError extends Error {
  constructor(what, status, body) {
    super(`${what}: status ${status}: ${typeof body === "string" ? body : JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

async function readBody(res) {
  const text = await res.text();
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// authRequest calls a Better Auth endpoint under /api/auth. Better Auth refuses
// cookie-carrying calls whose Origin is not a trusted origin, so the Origin of
// AUTH_URL is always sent, as a browser on that site would.
export async function authRequest(authURL, jar, method, path, body) {
  const headers = { Origin: new URL(authURL).origin, Accept: "application/json" };
  if (jar.size > 0) headers.Cookie = jar.header();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(new URL(`/api/auth${path}`, authURL), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  jar.update(res);
  return { status: res.status, headers: res.headers, body: await readBody(res) };
}

function expect(res, want, what) {
  if (res.status !== want) throw new HTTPError(what, res.status, res.body);
  return res.body;
}

// signUpOrIn signs a new user up, or signs an existing one in; either way the
// returned jar holds a session cookie.
export async function signUpOrIn(authURL, { email, password, name }) {
  const jar = new CookieJar();
  const up = await authRequest(authURL, jar, "POST", "/sign-up/email", { email, password, name });
  if (up.status === 200) return { jar, user: up.body.user, created: true };
  if (up.status !== 422) throw new HTTPError("sign up", up.status, up.body);
  const inRes = await authRequest(authURL, jar, "POST", "/sign-in/email", { email, password });
  const body = expect(inRes, 200, "sign in");
  return { jar, user: body.user, created: false };
}

// ensureOrganization returns the user's organization with this slug, creating it
// (with the user as owner) when it does not exist yet.
export async function ensureOrganization(authURL, jar, { name, slug }) {
  const list = expect(await authRequest(authURL, jar, "GET", "/organization/list"), 200, "list organizations");
  const found = list.find((o) => o.slug === slug);
  if (found) return found;
  const res = await authRequest(authURL, jar, "POST", "/organization/create", { name, slug });
  return expect(res, 200, "create organization");
}

// setActiveOrganization records the organization on the session; the issuer
// turns it into org_id and org_role claims while the membership lasts.
export async function setActiveOrganization(authURL, jar, organizationId) {
  const res = await authRequest(authURL, jar, "POST", "/organization/set-active", { organizationId });
  return expect(res, 200, "set active organization");
}

// fetchToken trades the session cookie for a short-lived JWT.
export async function fetchToken(authURL, jar) {
  const body = expect(await authRequest(authURL, jar, "GET", "/token"), 200, "fetch token");
  if (typeof body?.token !== "string") throw new Error(`fetch token: no token in ${JSON.stringify(body)}`);
  return body.token;
}

// decodeJWT returns the payload of a token without verifying it: for display only.
export function decodeJWT(token) {
  const part = token.split(".")[1];
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

// wardenRequest calls Warden with a bearer token.
export async function wardenRequest(wardenURL, token, method, path, body) {
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(new URL(path, wardenURL), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, headers: res.headers, body: await readBody(res) };
}

export async function createTask(wardenURL, token, task) {
  const res = await wardenRequest(wardenURL, token, "POST", "/api/tasks", task);
  const created = expect(res, 201, "create task");
  if (!res.headers.get("location")) throw new Error("create task: no Location header");
  return created;
}

export async function listTasks(wardenURL, token, query = "") {
  const tasks = expect(await wardenRequest(wardenURL, token, "GET", `/api/tasks${query}`), 200, "list tasks");
  if (!Array.isArray(tasks)) throw new Error(`list tasks: not an array: ${JSON.stringify(tasks)}`);
  return tasks;
}

export async function paginateTasks(wardenURL, token, page, pageSize) {
  const path = `/api/tasks/paginated?page=${page}&page_size=${pageSize}`;
  const body = expect(await wardenRequest(wardenURL, token, "GET", path), 200, "paginate tasks");
  if (!Array.isArray(body?.items) || body.items.length > pageSize || body.page !== page || body.page_size !== pageSize) {
    throw new Error(`paginate tasks: unexpected page: ${JSON.stringify(body)}`);
  }
  return body;
}

export async function bulkCreateTasks(wardenURL, token, tasks) {
  const res = await wardenRequest(wardenURL, token, "POST", "/api/tasks/bulk", tasks);
  const created = expect(res, 201, "bulk create tasks");
  if (!Array.isArray(created) || created.length !== tasks.length) {
    throw new Error(`bulk create tasks: want ${tasks.length} tasks, got ${JSON.stringify(created)}`);
  }
  return created;
}

// slugFor derives a per-user organization slug, so reruns reuse the same one.
export function slugFor(user) {
  return `org-${user.id.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 16)}`;
}

// login runs the Better Auth half: user, organization, active organization, JWT.
export async function login(authURL, { email, password, name }) {
  const { jar, user, created } = await signUpOrIn(authURL, { email, password, name });
  const org = await ensureOrganization(authURL, jar, { name: `${name}'s team`, slug: slugFor(user) });
  await setActiveOrganization(authURL, jar, org.id);
  const token = await fetchToken(authURL, jar);
  return { jar, user, created, org, token };
}

export async function main(env = process.env, log = console.log) {
  const authURL = env.AUTH_URL || "http://localhost:3000";
  const wardenURL = env.WARDEN_URL || "http://localhost:8080";
  const email = env.EMAIL || "demo@example.com";
  const password = env.PASSWORD || "demo-password-123";
  const name = env.NAME || "Demo User";

  const { user, created, org, token } = await login(authURL, { email, password, name });
  log(`${created ? "signed up" : "signed in"} ${user.email} (${user.id})`);
  log(`active organization ${org.slug} (${org.id})`);
  const claims = decodeJWT(token);
  log(`token: sub=${claims.sub} org_id=${claims.org_id} org_role=${claims.org_role} exp=${new Date(claims.exp * 1000).toISOString()}`);

  const task = await createTask(wardenURL, token, {
    title: "Write the quarterly report",
    description: "Numbers from finance first",
    priority: "high",
    due_date: new Date(Date.now() + 7 * 86_400_000).toISOString(),
  });
  log(`created task ${task.id}: ${task.title}`);

  const tasks = await listTasks(wardenURL, token);
  if (!tasks.some((t) => t.id === task.id)) throw new Error(`list tasks: task ${task.id} missing`);
  log(`listed ${tasks.length} task(s)`);

  const bulk = await bulkCreateTasks(wardenURL, token, [
    { title: "Book the venue" },
    { title: "Send the invitations", priority: "low" },
    { title: "Order the catering", completed: true },
  ]);
  log(`bulk created tasks ${bulk.map((t) => t.id).join(", ")}`);

  const page = await paginateTasks(wardenURL, token, 1, 2);
  log(`page ${page.page}/${page.pages}: ${page.items.length} of ${page.total} task(s)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    // fetch hides the network error (refused, DNS) in cause.
    console.error(`client: ${err.message}${err.cause ? `: ${err.cause.message ?? err.cause}` : ""}`);
    process.exit(1);
  });
}
