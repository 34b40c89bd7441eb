package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/warden-authz/warden/api"
	"github.com/warden-authz/warden/auth"
	"github.com/warden-authz/warden/policies"
	"github.com/warden-authz/warden/repo"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	noMigrate := fs.Bool("no-migrate", false, "do not apply migrations at start-up")
	vals, err := readSettings(fs, args, getenv)
	if err != nil {
		return err
	}
	cfg, err := parseConfig(vals)
	if err != nil {
		return err
	}
	log := newLogger(stdout, cfg.LogLevel)
	log.Info("configuration", logAttrs(vals)...)
	return serve(ctx, cfg, !*noMigrate, log, stdout, nil)
}

// serve wires every part and serves until ctx ends. ready, when set, receives the
// bound address once the listener is open.
func serve(ctx context.Context, cfg Config, migrate bool, log *slog.Logger, stdout io.Writer, ready func(addr string)) error {
	db, err := repo.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if migrate {
		if err := db.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		api.NewDBStatsCollector(db.Stats))
	metrics := api.NewMetrics(reg)

	decisionLog, closeLog, err := openDecisionLog(cfg.DecisionLog, stdout)
	if err != nil {
		return err
	}
	defer closeLog()
	engine, err := policies.New(ctx, policies.Options{
		Dir: cfg.PolicyDir, Logger: log, DecisionLog: decisionLog, OnDecision: metrics.ObserveDecision,
	})
	if err != nil {
		return fmt.Errorf("load policy: %w", err)
	}
	defer engine.Close()
	verifier, err := auth.NewVerifier(ctx, auth.Config{
		JWKSURL: cfg.JWKSURL, Issuer: cfg.Issuer, Audience: cfg.Audience, Algorithms: cfg.Algorithms,
		Leeway: cfg.Leeway, ClaimTenant: cfg.ClaimTenant, ClaimTenantRole: cfg.ClaimTenantRol,
		ClaimRole: cfg.ClaimRole, ClaimPermissions: cfg.ClaimPerms,
		OnVerify: metrics.ObserveJWT, OnRefresh: metrics.ObserveJWKSRefresh,
	})
	if err != nil {
		return fmt.Errorf("jwt verifier: %w", err)
	}

	gin.SetMode(gin.ReleaseMode)
	srv, err := api.NewServer(api.Deps{
		Auth: verifier, Authz: engine, Tasks: repo.NewTaskStore(db), Posts: repo.NewPostStore(db),
		Reports: repo.NewReportStore(db), Users: repo.NewUserStore(db), DB: db, Logger: log,
		Registry: reg, Metrics: metrics, TrustedProxies: cfg.TrustedProxies, Version: version,
	})
	if err != nil {
		return err
	}
	return listenAndServe(ctx, cfg.HTTPAddr, srv.Handler(), log, ready)
}

// listenAndServe serves h with timeouts suited to a JSON API and shuts down
// gracefully when ctx ends.
func listenAndServe(ctx context.Context, addr string, h http.Handler, log *slog.Logger, ready func(string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("listening", "addr", ln.Addr().String(), "version", version)
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func openDecisionLog(where string, stdout io.Writer) (io.Writer, func(), error) {
	switch where {
	case "off":
		return nil, func() {}, nil
	case "stdout":
		return stdout, func() {}, nil
	}
	f, err := os.OpenFile(where, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("WARDEN_DECISION_LOG: %w", err)
	}
	return f, func() { _ = f.Close() }, nil
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("database-url", "", "PostgreSQL URL (env WARDEN_DATABASE_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" {
		*url = getenv("WARDEN_DATABASE_URL")
	}
	if *url == "" {
		return errors.New("WARDEN_DATABASE_URL: is required")
	}
	db, err := repo.Open(ctx, *url)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Migrate(ctx)
}

func runVersion(ctx context.Context, stdout io.Writer) error {
	engine, err := policies.New(ctx, policies.Options{})
	if err != nil {
		return err
	}
	defer engine.Close()
	fmt.Fprintf(stdout, "warden %s\npolicy revision %s\n", version, engine.Revision())
	return nil
}

func runHealthcheck(ctx context.Context, getenv func(string) string) error {
	addr := getenv("WARDEN_HTTP_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz answered %d", resp.StatusCode)
	}
	return nil
}
