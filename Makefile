# Warden: `make run` starts a local stack, `make test` runs everything CI runs.
GO      ?= go
BIN     := bin/warden
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: run build test test-go test-policies test-compose deps bench clean

run: build
	./$(BIN) dev

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/warden

# Everything CI runs: Go unit and integration tests against a real PostgreSQL
# started by the test harness, the Rego checks, the compose file check, and the
# interop test against the real better-auth package.
test: deps test-policies test-go test-compose

deps: interop/node_modules/.package-lock.json

# npm ci again whenever the lockfile changed since the last install.
interop/node_modules/.package-lock.json: interop/package.json interop/package-lock.json
	cd interop && npm ci --no-audit --no-fund

test-go:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test-policies:
	./scripts/check-policies.sh

test-compose:
	docker-compose -f docker-compose.yml config --quiet
	@echo "docker-compose.yml: valid"

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./auth/ ./policies/ ./api/

clean:
	rm -rf bin
