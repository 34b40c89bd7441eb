package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/warden-authz/warden/auth"
	"github.com/warden-authz/warden/repo/pglocal"
)

// The development issuer's fixed identity: `warden token` mints for the same
// issuer and audience as `warden dev` accepts.
const (
	devIssuer   = "warden-dev-issuer"
	devAudience = "warden-dev"
	devDatabase = "warden"
	devTokenTTL = time.Hour
)

func devKeyPath(dataDir string) string { return filepath.Join(dataDir, "dev-issuer.jwk") }

// demoUser is one of the users printed by `warden dev`.
type demoUser struct {
	about  string
	claims map[string]any
}

func demoUsers() []demoUser {
	return []demoUser{
		{"alice, owner of tenant acme", map[string]any{"sub": "alice", "name": "Alice", "email": "alice@acme.test", "org_id": "acme", "org_role": "owner"}},
		{"bob, member of tenant acme", map[string]any{"sub": "bob", "name": "Bob", "email": "bob@acme.test", "org_id": "acme", "org_role": "member"}},
		{"carol, moderator of tenant acme", map[string]any{"sub": "carol", "name": "Carol", "email": "carol@acme.test", "org_id": "acme", "org_role": "member,moderator"}},
		{"dave, admin of tenant globex", map[string]any{"sub": "dave", "name": "Dave", "email": "dave@globex.test", "org_id": "globex", "org_role": "admin"}},
		{"erin, no organization (personal tenant)", map[string]any{"sub": "erin", "name": "Erin", "email": "erin@example.test"}},
		{"root, platform admin", map[string]any{"sub": "root", "name": "Root", "email": "root@example.test", "role": "admin"}},
	}
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func runDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("http-addr", "127.0.0.1:8080", "API listen address (loopback only)")
	issuerAddr := fs.String("issuer-addr", "127.0.0.1:8081", "development issuer listen address (loopback only)")
	dataDir := fs.String("data-dir", ".data", "where the local database and the issuer key live")
	policyDir := fs.String("policy-dir", getenv("WARDEN_POLICY_DIR"), "load Rego from this directory and reload on change")
	decisionLog := fs.String("decision-log", "stdout", "decision log: stdout (beside the other logs, on stderr), a file path, or off")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, a := range []string{*addr, *issuerAddr} {
		if !isLoopback(a) {
			return fmt.Errorf("refusing to bind %q: warden dev listens on loopback only (use warden serve in production)", a)
		}
	}
	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		return err
	}
	log := newLogger(stderr, 0)

	pg, err := pglocal.Start(ctx, filepath.Join(dir, "pg"), log)
	if err != nil {
		return fmt.Errorf("local database: %w", err)
	}
	defer pg.Stop()
	if err := pg.CreateDatabase(ctx, devDatabase); err != nil {
		return fmt.Errorf("local database: %w", err)
	}

	issuer, err := auth.LoadOrCreateDevIssuer(devKeyPath(dir), devIssuer, devAudience)
	if err != nil {
		return fmt.Errorf("development issuer: %w", err)
	}
	ln, err := net.Listen("tcp", *issuerAddr)
	if err != nil {
		return fmt.Errorf("development issuer: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /jwks", issuer.JWKSHandler())
	is := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = is.Serve(ln) }()
	defer is.Close()

	cfg := Config{
		DatabaseURL: pg.URL(devDatabase), HTTPAddr: *addr,
		JWKSURL: "http://" + ln.Addr().String() + "/jwks", Issuer: devIssuer, Audience: devAudience,
		Algorithms: []string{"EdDSA"}, Leeway: 30 * time.Second,
		ClaimTenant: "org_id", ClaimTenantRol: "org_role", ClaimRole: "role", ClaimPerms: "permissions",
		PolicyDir: *policyDir, DecisionLog: *decisionLog,
	}
	log.Info("development stack", "database", maskURL(cfg.DatabaseURL), "jwks", cfg.JWKSURL, "issuer", devIssuer, "audience", devAudience)
	err = serve(ctx, cfg, true, log, stderr, func(bound string) {
		printDemo(stdout, issuer, "http://"+bound, *dataDir)
	})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// printDemo prints ready-to-paste curl commands with fresh tokens.
func printDemo(w io.Writer, issuer *auth.DevIssuer, base, dataDir string) {
	fmt.Fprintf(w, "\nWarden is running at %s (tokens below are valid for %s).\n\n", base, devTokenTTL)
	for _, u := range demoUsers() {
		tok, err := issuer.Mint(u.claims, devTokenTTL)
		if err != nil {
			fmt.Fprintf(w, "# %s: %v\n", u.about, err)
			continue
		}
		v := strings.ToUpper(u.claims["sub"].(string))
		fmt.Fprintf(w, "# %s\nexport %s=%s\n", u.about, v, tok)
	}
	fmt.Fprintf(w, `
# try it:
curl -s %[1]s/api/me -H "Authorization: Bearer $ALICE"
curl -s %[1]s/api/tasks -H "Authorization: Bearer $BOB" -H 'Content-Type: application/json' -d '{"title":"Write the report","priority":"high"}'
curl -s %[1]s/api/tasks -H "Authorization: Bearer $BOB"
curl -s %[1]s/api/tasks -H "Authorization: Bearer $ALICE"
curl -s %[1]s/api/tasks/1 -H "Authorization: Bearer $DAVE"
curl -s %[1]s/api/me/permissions -H "Authorization: Bearer $CAROL"
curl -s %[1]s/api/admin/stats -H "Authorization: Bearer $ROOT"
curl -s %[1]s/api/public
# more tokens: ./bin/warden token --data-dir %[2]s --sub someone --org acme --role member
# Ctrl-C stops Warden and its PostgreSQL; data stays in %[2]s

`, base, dataDir)
}

func runToken(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	sub := fs.String("sub", "", "subject id (required)")
	org := fs.String("org", "", "tenant (org_id claim); empty: personal tenant")
	role := fs.String("role", "", "tenant role(s), comma-separated (org_role claim)")
	global := fs.String("global-role", "", "global role(s), comma-separated (role claim)")
	perms := fs.String("perm", "", "extra permissions, comma-separated resource:action")
	email := fs.String("email", "", "email claim")
	name := fs.String("name", "", "name claim")
	ttl := fs.Duration("ttl", devTokenTTL, "lifetime")
	dataDir := fs.String("data-dir", ".data", "where warden dev keeps the issuer key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *sub == "" {
		return errors.New("--sub is required")
	}
	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		return err
	}
	issuer, err := auth.LoadOrCreateDevIssuer(devKeyPath(dir), devIssuer, devAudience)
	if err != nil {
		return err
	}
	claims := map[string]any{"sub": *sub}
	for k, v := range map[string]string{"org_id": *org, "org_role": *role, "role": *global, "email": *email, "name": *name} {
		if v != "" {
			claims[k] = v
		}
	}
	if *perms != "" {
		var ps []string
		for _, p := range strings.Split(*perms, ",") {
			if p = strings.TrimSpace(p); p != "" {
				ps = append(ps, p)
			}
		}
		claims["permissions"] = ps
	}
	tok, err := issuer.Mint(claims, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
