# Sealtrace: the project's vocabulary. A new user needs two commands:
#   make run    installs what is missing, builds, and shows the demo mailbox
#   make test   installs what is missing (test peers included), vet + every test
SHELL := /bin/bash
GO ?= go
BIN := bin

# Debian packages. Build: none beyond Go for the CLI. Test peers: dkimpy
# (python3-dkim with Ed25519 through python3-nacl, ARC through python3-authres,
# DNS through python3-dnspython), OpenDKIM's milter and its miltertest driver.
RUN_PKGS  := ca-certificates
TEST_PKGS := python3 python3-dkim python3-nacl python3-dnspython python3-authres opendkim miltertest

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)


.PHONY: run test lint check bench fuzz deps-run deps-test build demo clean

run: deps-run build
	$(BIN)/sealtrace-cli inspect --demo

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/sealtrace-cli ./cmd/sealtrace-cli

test: deps-test lint
	$(GO) test -race -count=1 ./inspect/... ./resolver/... ./mailbox/... ./internal/...
	$(GO) test -count=1 ./cmd/... ./assets/...

# lint: go vet, gofmt and staticcheck (fetched through the Go module proxy).
lint: .deps-go
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

check: lint

bench: deps-test build
	bash bench/run.sh

fuzz:
	@for t in FuzzParse FuzzTags FuzzReceived FuzzCanonBody FuzzInspect; do \
	  $(GO) test ./inspect -run '^$$' -fuzz "^$$t\$$" -fuzztime $${FUZZTIME:-20s} || exit 1; done
	$(GO) test ./resolver -run '^$$' -fuzz '^FuzzZone$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./mailbox -run '^$$' -fuzz '^FuzzMbox$$' -fuzztime $${FUZZTIME:-20s}

# Regenerate the demo mailbox with the real peers (dkimpy signs it).
demo: deps-test
	$(GO) run ./assets/gen

deps-run: .deps-go
	@$(MAKE) --no-print-directory .apt PKGS="$(RUN_PKGS)"

deps-test: .deps-go
	@$(MAKE) --no-print-directory .apt PKGS="$(RUN_PKGS) $(TEST_PKGS)"

.deps-go: go.mod go.sum
	$(GO) mod download
	@touch $@

# Installs only the packages that are missing; apt-get update runs once, and
# only when something is missing.
.apt:
	@missing=""; for p in $(PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

clean:
	rm -rf $(BIN) .deps-go
