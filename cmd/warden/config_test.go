package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func validEnv() map[string]string {
	return map[string]string{
		"WARDEN_DATABASE_URL": "postgres://warden:s3cret@db:5432/warden?sslmode=disable",
		"WARDEN_JWKS_URL":     "https://auth.example.com/api/auth/jwks",
		"WARDEN_JWT_ISSUER":   "https://auth.example.com",
		"WARDEN_JWT_AUDIENCE": "https://auth.example.com",
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name    string
		change  map[string]string
		args    []string
		wantErr string
	}{
		{"valid", nil, nil, ""},
		{"missing database", map[string]string{"WARDEN_DATABASE_URL": ""}, nil, "WARDEN_DATABASE_URL: is required"},
		{"missing issuer", map[string]string{"WARDEN_JWT_ISSUER": ""}, nil, "WARDEN_JWT_ISSUER: is required"},
		{"mysql url", map[string]string{"WARDEN_DATABASE_URL": "mysql://x"}, nil, "WARDEN_DATABASE_URL"},
		{"jwks not a url", map[string]string{"WARDEN_JWKS_URL": "auth/jwks"}, nil, "WARDEN_JWKS_URL"},
		{"hmac refused", map[string]string{"WARDEN_JWT_ALGORITHMS": "HS256"}, nil, "WARDEN_JWT_ALGORITHMS"},
		{"none refused", map[string]string{"WARDEN_JWT_ALGORITHMS": "none"}, nil, "WARDEN_JWT_ALGORITHMS"},
		{"bad leeway", map[string]string{"WARDEN_JWT_LEEWAY": "forever"}, nil, "WARDEN_JWT_LEEWAY"},
		{"huge leeway", map[string]string{"WARDEN_JWT_LEEWAY": "1h"}, nil, "WARDEN_JWT_LEEWAY"},
		{"bad level", map[string]string{"WARDEN_LOG_LEVEL": "loud"}, nil, "WARDEN_LOG_LEVEL"},
		{"bad addr", map[string]string{"WARDEN_HTTP_ADDR": "8080"}, nil, "WARDEN_HTTP_ADDR"},
		{"missing policy dir", map[string]string{"WARDEN_POLICY_DIR": "/does/not/exist"}, nil, "WARDEN_POLICY_DIR"},
		{"bad proxy", map[string]string{"WARDEN_TRUSTED_PROXIES": "10.0.0.1,nope"}, nil, "WARDEN_TRUSTED_PROXIES"},
		{"flag overrides env", map[string]string{"WARDEN_JWT_LEEWAY": "forever"}, []string{"--jwt-leeway", "10s"}, ""},
		{"flag can break it too", nil, []string{"--http-addr", "nope"}, "WARDEN_HTTP_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validEnv()
			for k, v := range tt.change {
				m[k] = v
			}
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			vals, err := readSettings(fs, tt.args, env(m))
			if err != nil {
				t.Fatal(err)
			}
			_, err = parseConfig(vals)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("got error %v, want none", err)
			} else if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("got error %v, want one naming %q", err, tt.wantErr)
			}
		})
	}
}

func TestConfigDefaultsAndMasking(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	vals, err := readSettings(fs, nil, env(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseConfig(vals)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:8080" || c.Leeway.String() != "30s" || strings.Join(c.Algorithms, ",") != "EdDSA,ES256,ES512,RS256,PS256" ||
		c.ClaimTenant != "org_id" || c.ClaimTenantRol != "org_role" || c.ClaimRole != "role" || c.ClaimPerms != "permissions" || c.DecisionLog != "stdout" {
		t.Errorf("defaults = %+v", c)
	}
	var buf bytes.Buffer
	newLogger(&buf, 0).Info("configuration", logAttrs(vals)...)
	if strings.Contains(buf.String(), "s3cret") {
		t.Errorf("log shows the database password: %s", buf.String())
	}
	if !strings.Contains(buf.String(), "WARDEN_JWKS_URL") {
		t.Errorf("log does not show the configuration: %s", buf.String())
	}
}

func TestServeRefusesInvalidConfig(t *testing.T) {
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"serve"}, env(map[string]string{}), io.Discard, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "WARDEN_DATABASE_URL: is required") {
		t.Errorf("exit %d, stderr %q; want failure naming WARDEN_DATABASE_URL", code, stderr.String())
	}
}

func TestDevRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8080", "10.1.2.3:8080", "example.com:80"} {
		var stderr bytes.Buffer
		code := run(context.Background(), []string{"dev", "--http-addr", addr, "--data-dir", t.TempDir()}, env(nil), io.Discard, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), "loopback") {
			t.Errorf("%s: exit %d, stderr %q; want a refusal", addr, code, stderr.String())
		}
	}
}

func TestTokenMintsForTheDevIssuer(t *testing.T) {
	dir := t.TempDir()
	var out, stderr bytes.Buffer
	code := run(context.Background(), []string{"token", "--sub", "bob", "--org", "acme", "--role", "member", "--data-dir", dir}, env(nil), &out, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if parts := strings.Split(strings.TrimSpace(out.String()), "."); len(parts) != 3 {
		t.Errorf("token = %q, want a compact JWS", out.String())
	}
	code = run(context.Background(), []string{"token", "--data-dir", dir}, env(nil), &out, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "--sub is required") {
		t.Errorf("without --sub: exit %d, stderr %q", code, stderr.String())
	}
}
