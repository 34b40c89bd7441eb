package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// Config is the service configuration, read from the environment, overridden by
// flags of the same name (WARDEN_HTTP_ADDR → --http-addr), and validated once.
type Config struct {
	DatabaseURL    string
	HTTPAddr       string
	JWKSURL        string
	Issuer         string
	Audience       string
	Algorithms     []string
	Leeway         time.Duration
	ClaimTenant    string
	ClaimTenantRol string
	ClaimRole      string
	ClaimPerms     string
	PolicyDir      string
	LogLevel       slog.Level
	DecisionLog    string
	TrustedProxies []string
}

// setting describes one variable: its name, default, whether it is required and a secret.
type setting struct {
	name     string
	def      string
	required bool
	secret   bool
	help     string
}

// settings lists every variable, in the order they are documented.
func settings() []setting {
	return []setting{
		{name: "WARDEN_DATABASE_URL", required: true, secret: true, help: "PostgreSQL URL (postgres://...)"},
		{name: "WARDEN_HTTP_ADDR", def: "127.0.0.1:8080", help: "listen address"},
		{name: "WARDEN_JWKS_URL", required: true, secret: true, help: "Better Auth JWKS URL"},
		{name: "WARDEN_JWT_ISSUER", required: true, help: "exact iss to require"},
		{name: "WARDEN_JWT_AUDIENCE", required: true, help: "aud value that must be present"},
		{name: "WARDEN_JWT_ALGORITHMS", def: "EdDSA,ES256,ES512,RS256,PS256", help: "allowed alg values"},
		{name: "WARDEN_JWT_LEEWAY", def: "30s", help: "clock skew allowed on exp, nbf, iat"},
		{name: "WARDEN_CLAIM_TENANT", def: "org_id", help: "claim naming the active tenant"},
		{name: "WARDEN_CLAIM_TENANT_ROLE", def: "org_role", help: "claim with the tenant role(s)"},
		{name: "WARDEN_CLAIM_ROLE", def: "role", help: "claim with global role(s)"},
		{name: "WARDEN_CLAIM_PERMISSIONS", def: "permissions", help: "claim with extra permissions"},
		{name: "WARDEN_POLICY_DIR", help: "load Rego from this directory and reload on change (development)"},
		{name: "WARDEN_LOG_LEVEL", def: "info", help: "debug, info, warn, error"},
		{name: "WARDEN_DECISION_LOG", def: "stdout", help: "stdout, a file path, or off"},
		{name: "WARDEN_TRUSTED_PROXIES", help: "comma-separated proxy addresses/CIDRs whose X-Forwarded-For is trusted"},
	}
}

// supportedAlgorithm reports the asymmetric algorithms a deployment may allow.
func supportedAlgorithm(alg string) bool {
	switch alg {
	case "EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return true
	}
	return false
}

// flagName turns WARDEN_HTTP_ADDR into http-addr.
func flagName(env string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(env, "WARDEN_")), "_", "-")
}

// readSettings resolves every setting from env, then flags. It returns the raw values.
func readSettings(fs *flag.FlagSet, args []string, getenv func(string) string) (map[string]string, error) {
	flags := map[string]*string{}
	for _, s := range settings() {
		flags[s.name] = fs.String(flagName(s.name), "", s.help+" (env "+s.name+")")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	vals := map[string]string{}
	for _, s := range settings() {
		v := getenv(s.name)
		if v == "" {
			v = s.def
		}
		if f := *flags[s.name]; f != "" {
			v = f
		}
		vals[s.name] = strings.TrimSpace(v)
	}
	return vals, nil
}

// parseConfig validates the raw values; every problem is reported, each naming its variable.
func parseConfig(vals map[string]string) (Config, error) {
	var errs []string
	bad := func(name, format string, args ...any) {
		errs = append(errs, name+": "+fmt.Sprintf(format, args...))
	}
	for _, s := range settings() {
		if s.required && vals[s.name] == "" {
			bad(s.name, "is required (%s)", s.help)
		}
	}
	c := Config{
		DatabaseURL: vals["WARDEN_DATABASE_URL"], HTTPAddr: vals["WARDEN_HTTP_ADDR"],
		JWKSURL: vals["WARDEN_JWKS_URL"], Issuer: vals["WARDEN_JWT_ISSUER"], Audience: vals["WARDEN_JWT_AUDIENCE"],
		ClaimTenant: vals["WARDEN_CLAIM_TENANT"], ClaimTenantRol: vals["WARDEN_CLAIM_TENANT_ROLE"],
		ClaimRole: vals["WARDEN_CLAIM_ROLE"], ClaimPerms: vals["WARDEN_CLAIM_PERMISSIONS"],
		PolicyDir: vals["WARDEN_POLICY_DIR"], DecisionLog: vals["WARDEN_DECISION_LOG"],
	}
	if u := c.DatabaseURL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "postgres" && pu.Scheme != "postgresql") || pu.Host == "" && pu.Query().Get("host") == "" {
			bad("WARDEN_DATABASE_URL", "must be a postgres:// URL with a host")
		}
	}
	if u := c.JWKSURL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			bad("WARDEN_JWKS_URL", "must be an http(s) URL")
		}
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		bad("WARDEN_HTTP_ADDR", "must be host:port (%v)", err)
	}
	for _, a := range strings.Split(vals["WARDEN_JWT_ALGORITHMS"], ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		} else if !supportedAlgorithm(a) {
			bad("WARDEN_JWT_ALGORITHMS", "%q is not an allowed asymmetric algorithm (HMAC and none are never accepted)", a)
		}
		c.Algorithms = append(c.Algorithms, a)
	}
	if len(c.Algorithms) == 0 {
		bad("WARDEN_JWT_ALGORITHMS", "must name at least one algorithm")
	}
	d, err := time.ParseDuration(vals["WARDEN_JWT_LEEWAY"])
	if err != nil || d < 0 || d > 5*time.Minute {
		bad("WARDEN_JWT_LEEWAY", "must be a duration from 0s to 5m, e.g. 30s")
	}
	c.Leeway = d
	for _, n := range []string{"WARDEN_CLAIM_TENANT", "WARDEN_CLAIM_TENANT_ROLE", "WARDEN_CLAIM_ROLE", "WARDEN_CLAIM_PERMISSIONS"} {
		if vals[n] == "" {
			bad(n, "must not be empty")
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(vals["WARDEN_LOG_LEVEL"])); err != nil {
		bad("WARDEN_LOG_LEVEL", "must be debug, info, warn or error")
	}
	if c.PolicyDir != "" {
		if st, err := os.Stat(c.PolicyDir); err != nil || !st.IsDir() {
			bad("WARDEN_POLICY_DIR", "%q is not a directory", c.PolicyDir)
		}
	}
	if c.DecisionLog == "" {
		bad("WARDEN_DECISION_LOG", "must be stdout, off or a file path")
	}
	for _, p := range strings.Split(vals["WARDEN_TRUSTED_PROXIES"], ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				bad("WARDEN_TRUSTED_PROXIES", "%q is not an IP address or CIDR", p)
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("invalid configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return c, nil
}

// logAttrs is the configuration as it is logged at start-up, secrets masked.
func logAttrs(vals map[string]string) []any {
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	secret := map[string]bool{}
	for _, s := range settings() {
		secret[s.name] = s.secret
	}
	out := []any{}
	for _, n := range names {
		v := vals[n]
		if secret[n] {
			v = maskURL(v)
		}
		out = append(out, n, v)
	}
	return out
}

// maskURL hides the password of a URL and any password or token query
// parameter; the rest stays readable for the operator.
func maskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "****"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	for _, k := range []string{"password", "token", "access_token", "key"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
