// A headless Better Auth server: the real token issuer Warden is proven against
// in the interop test and run beside it in docker-compose.
//
// Environment:
//   DATABASE_URL        PostgreSQL URL (required)
//   BETTER_AUTH_SECRET  secret for cookies and key encryption (required, >= 32 chars)
//   HOST, PORT          listen address (127.0.0.1, 3000)
//   BETTER_AUTH_URL     public base URL; clients must send it as Origin (http://HOST:PORT)
//   JWT_ISSUER          iss of the tokens (BETTER_AUTH_URL)
//   JWT_AUDIENCE        aud of the tokens (warden)
//   TRUSTED_ORIGINS     extra comma-separated origins allowed to call with cookies
//   CLIENT_IP_HEADER    header a trusted reverse proxy sets with the client address
//                       (x-forwarded-for); unset: the TCP peer address is used
//
// Prints "ready <baseURL>" on stdout once it accepts connections; everything
// else goes to stderr so a supervising process can wait for that one line.

import http from "node:http";
import process from "node:process";

import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { admin, jwt, organization } from "better-auth/plugins";
import pg from "pg";

// The header the server itself fills with the TCP peer address when no proxy
// header is configured; whatever a client sent under this name is overwritten.
const PEER_HEADER = "x-issuer-peer-address";

function config(env) {
  const host = env.HOST || "127.0.0.1";
  const port = Number.parseInt(env.PORT || "3000", 10);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT: not a port number: ${env.PORT}`);
  }
  if (!env.DATABASE_URL) throw new Error("DATABASE_URL: required");
  // Better Auth falls back to a built-in secret outside production; a fixed
  // secret would let anyone forge session cookies, so refuse to start instead.
  if (!env.BETTER_AUTH_SECRET || env.BETTER_AUTH_SECRET.length < 32) {
    throw new Error("BETTER_AUTH_SECRET: required, at least 32 characters");
  }
  const baseURL = (env.BETTER_AUTH_URL || `http://${host}:${port}`).replace(/\/+$/, "");
  return {
    host,
    port,
    databaseURL: env.DATABASE_URL,
    secret: env.BETTER_AUTH_SECRET,
    baseURL,
    // iss and aud default to the origin of baseURL; Warden requires exact
    // values, so they are always set here rather than inferred.
    issuer: env.JWT_ISSUER || baseURL,
    audience: env.JWT_AUDIENCE || "warden",
    trustedOrigins: (env.TRUSTED_ORIGINS || "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    clientIPHeader: (env.CLIENT_IP_HEADER || "").trim().toLowerCase(),
  };
}

function newAuth(cfg, pool) {
  // definePayload runs per request, long after auth is assigned.
  const auth = betterAuth({
    baseURL: cfg.baseURL,
    secret: cfg.secret,
    database: pool,
    trustedOrigins: cfg.trustedOrigins,
    emailAndPassword: { enabled: true },
    telemetry: { enabled: false },
    // Rate limits are kept per client address. Better Auth reads it from a
    // header only, and in production shares one bucket among all clients when
    // the header is missing.
    advanced: { ipAddress: { ipAddressHeaders: [cfg.clientIPHeader || PEER_HEADER] } },
    plugins: [
      organization(),
      admin(),
      jwt({
        jwt: {
          issuer: cfg.issuer,
          audience: cfg.audience,
          definePayload: async ({ user, session }) => {
            const claims = { id: user.id, email: user.email, name: user.name };
            // The admin plugin's global role(s); absent rather than null when unset.
            if (user.role) claims.role = user.role;
            // The session keeps activeOrganizationId after an owner removes
            // the member, so membership is read from the member table on
            // every signing: no row, no tenant claims.
            const orgID = session.activeOrganizationId;
            if (!orgID) return claims;
            const ctx = await auth.$context;
            const member = await ctx.adapter.findOne({
              model: "member",
              where: [
                { field: "organizationId", value: orgID },
                { field: "userId", value: user.id },
              ],
            });
            if (!member) return claims;
            return { ...claims, org_id: orgID, org_role: member.role };
          },
        },
      }),
    ],
  });
  return auth;
}

async function main() {
  const cfg = config(process.env);
  const pool = new pg.Pool({ connectionString: cfg.databaseURL });
  const auth = newAuth(cfg, pool);

  // The CLI migrator needs a newer Node than 20; the library call works.
  const started = Date.now();
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
  console.error(`migrated in ${Date.now() - started} ms`);

  const handle = toNodeHandler(auth);
  const server = http.createServer((req, res) => {
    if (!cfg.clientIPHeader) req.headers[PEER_HEADER] = req.socket.remoteAddress ?? "";
    return handle(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.port, cfg.host, resolve);
  });
  console.error(
    `listening on ${cfg.host}:${server.address().port} iss=${cfg.issuer} aud=${cfg.audience}`,
  );
  process.stdout.write(`ready ${cfg.baseURL}\n`);

  const stop = (signal) => {
    console.error(`${signal}: shutting down`);
    server.close(() => pool.end().finally(() => process.exit(0)));
    server.closeAllConnections();
    // A stuck client must not keep a container from stopping.
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((err) => {
  console.error(`issuer: ${err?.stack || err}`);
  process.exit(1);
});
