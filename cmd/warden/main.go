// Command warden is the Warden service: one binary that serves the API, applies
// migrations, runs a local development stack and mints development tokens.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: warden <command> [flags]

commands:
  serve         run the API (migrates first unless --no-migrate)
  migrate       apply the embedded database migrations and exit
  dev           local stack: PostgreSQL under ./.data, a development issuer, the API
  token         mint a development token (--sub, --org, --role, ...)
  policy eval   evaluate the policy on an input document (--input FILE [--action A])
  version       print the version and the policy revision
  healthcheck   exit 0 when the server at WARDEN_HTTP_ADDR answers /healthz
`

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		err = runMigrate(ctx, args[1:], getenv, stderr)
	case "dev":
		err = runDev(ctx, args[1:], getenv, stdout, stderr)
	case "token":
		err = runToken(args[1:], stdout)
	case "policy":
		err = runPolicy(ctx, args[1:], stdout)
	case "version":
		err = runVersion(ctx, stdout)
	case "healthcheck":
		err = runHealthcheck(ctx, getenv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "warden: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "warden %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
