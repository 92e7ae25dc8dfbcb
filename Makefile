# Sealtrace: the project's vocabulary. A new user needs two commands:
#   make run    installs what is missing, builds, and shows the demo mailbox
#   make test   installs what is missing (test peers included), vet + every test
SHELL := /bin/bash
GO ?= go
BIN := bin

# Debian packages. Run: a C compiler and the X/GL headers of Fyne's GLFW
# driver (the CLI needs none of them), the IANA root trust anchors. Test peers: dkimpy (python3-dkim with
# Ed25519 through python3-nacl, ARC through python3-authres, DNS through
# python3-dnspython), OpenDKIM's milter and its miltertest driver; Xvfb,
# ImageMagick and x11-utils for the smoke test of the real window; GnuPG;
# NSD and BIND's dnssec tools for the DANE tests; dmarc-cat and Mail::DMARC read the
# same DMARC reports as the reports package; xdotool drives the app in the trial.
RUN_PKGS  := ca-certificates dns-root-data gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
TEST_PKGS := dovecot-imapd gnupg nsd bind9-utils bind9-dnsutils python3 python3-dkim python3-nacl python3-dnspython python3-authres opendkim miltertest xvfb xauth imagemagick x11-utils dmarc-cat libmail-dmarc-perl xdotool
# Windows from Linux: MinGW-w64 is the C compiler of the GLFW driver's cgo.
WIN_PKGS  := gcc-mingw-w64-x86-64
WIN_CC    := x86_64-w64-mingw32-gcc
FYNE_TOOL := fyne.io/tools/cmd/fyne@v1.7.4
# The version in package names is FyneApp.toml's, the one metadata file.
VERSION   := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)


.PHONY: run test lint check bench fuzz deps-run deps-test deps-windows build build-cli package package-windows demo clean

# run opens the desktop app on the demo mailbox; without a display (a server,
# an SSH session) it says so and shows the demo in the terminal instead.
run: deps-run build
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then $(BIN)/sealtrace; \
	else echo "No display (DISPLAY is not set): showing the demo mailbox with sealtrace-cli instead."; \
	  $(BIN)/sealtrace-cli inspect --demo; fi

build: build-cli
	$(GO) build -o $(BIN)/sealtrace ./cmd/sealtrace

build-cli:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/sealtrace-cli ./cmd/sealtrace-cli

# package builds a Linux package of the desktop app with the fyne tool, from
# the one metadata file at the root (FyneApp.toml): the tool reads it from the
# folder it packages, so the build runs in a copy that has it.
package: deps-run
	rm -rf $(BIN)/_linuxbuild && mkdir -p $(BIN)/_linuxbuild/assets $(BIN)/pkg
	cp cmd/sealtrace/*.go FyneApp.toml $(BIN)/_linuxbuild/ && rm -f $(BIN)/_linuxbuild/*_test.go
	cp assets/icon.png $(BIN)/_linuxbuild/assets/
	cd $(BIN)/_linuxbuild && $(GO) run $(FYNE_TOOL) package --os linux --release
	mv $(BIN)/_linuxbuild/*.tar.xz $(BIN)/pkg/ && rm -rf $(BIN)/_linuxbuild
	@ls -l $(BIN)/pkg/*.tar.xz

# package-windows cross-builds the Windows package from Linux: the desktop
# app with the fyne tool (a GUI program, -H=windowsgui, with the icon, the
# version information and a manifest from FyneApp.toml in a resource .syso
# that the tool writes into the build copy and removes after the build), and
# the CLI without cgo. The tool is installed into bin/ and run from there: run
# through `go run` with GOOS/CC set it would itself be built for Windows. The
# first build compiles GLFW with MinGW (about 7 min on 2 cores); GOCACHE keeps
# it, and a rebuild takes seconds. The build copy's folder starts with "_" so
# that ./... patterns (go vet, go test) never include it.
package-windows: .deps-go deps-windows
	rm -rf $(BIN)/_winbuild && mkdir -p $(BIN)/_winbuild/assets $(BIN)/pkg
	cp cmd/sealtrace/*.go FyneApp.toml $(BIN)/_winbuild/ && rm -f $(BIN)/_winbuild/*_test.go
	cp assets/icon.png $(BIN)/_winbuild/assets/
	GOBIN=$(abspath $(BIN)) $(GO) install $(FYNE_TOOL)
	cd $(BIN)/_winbuild && CC=$(WIN_CC) GOARCH=amd64 $(abspath $(BIN))/fyne package --os windows --release
	mv $(BIN)/_winbuild/Sealtrace.exe $(BIN)/pkg/Sealtrace-$(VERSION)-windows-amd64.exe
	rm -rf $(BIN)/_winbuild
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(BIN)/pkg/sealtrace-cli-$(VERSION)-windows-amd64.exe ./cmd/sealtrace-cli
	@ls -l $(BIN)/pkg/*-windows-amd64.exe

# test also builds the Windows package and checks the .exe files (PE32+
# x86-64, GUI subsystem, icon and version from FyneApp.toml): internal/winpkg
# reads them where SEALTRACE_WINDOWS_PKG points.
test: deps-test lint package-windows
	SEALTRACE_WINDOWS_PKG=$(abspath $(BIN))/pkg $(GO) test -race -count=1 ./inspect/... ./resolver/... ./mailbox/... ./pgp/... ./dane/... ./pipeline/... ./reports/... ./trace/... ./internal/...
	$(GO) test -race -count=1 -timeout 40m ./ui/...
	$(GO) test -count=1 ./cmd/... ./assets/...

# lint: go vet, gofmt and staticcheck (fetched through the Go module proxy).
lint: .deps-go
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

check: lint

bench: deps-test build-cli
	bash bench/run.sh

fuzz:
	@for t in FuzzParse FuzzTags FuzzReceived FuzzReceivedForms FuzzParseDate FuzzCanonBody FuzzInspect FuzzDKIMName FuzzBodyPrefixes FuzzAuthres; do \
	  $(GO) test ./inspect -run '^$$' -fuzz "^$$t\$$" -fuzztime $${FUZZTIME:-20s} || exit 1; done
	$(GO) test ./resolver -run '^$$' -fuzz '^FuzzZone$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./resolver -run '^$$' -fuzz '^FuzzValidate$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./resolver -run '^$$' -fuzz '^FuzzValidateSigned$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./mailbox -run '^$$' -fuzz '^FuzzMbox$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./mailbox -run '^$$' -fuzz '^FuzzIndex$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./mailbox -run '^$$' -fuzz '^FuzzAttachedMessages$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./mailbox -run '^$$' -fuzz '^FuzzParseBounce$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./mailbox -run '^$$' -fuzz '^FuzzOutlookMsg$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./mailbox -run '^$$' -fuzz '^FuzzNestingGuard$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./mailbox -run '^$$' -fuzz '^FuzzDecodeTransfer$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./reports -run '^$$' -fuzz '^FuzzParseSTSPolicy$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./pipeline -run '^$$' -fuzz '^FuzzReadBundle$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./pipeline -run '^$$' -fuzz '^FuzzParseEdit$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./cmd/sealtrace-cli -run '^$$' -fuzz '^FuzzSkipLeadingBlankLines$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./mailbox -run '^$$' -fuzz '^FuzzPasswordFile$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./pgp -run '^$$' -fuzz '^FuzzSplitMultipart$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./pgp -run '^$$' -fuzz '^FuzzProcess$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./internal/safetext -run '^$$' -fuzz '^FuzzMarkdown$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./internal/winpkg -run '^$$' -fuzz '^FuzzResources$$' -fuzztime $${FUZZTIME:-20s}
	@# reports: minimizing a new input of a multi-KB report takes the default 60 s, the whole run: 5 s is enough.
	@for t in FuzzReadXML FuzzReadArchive FuzzReadJSON FuzzReadMessage FuzzXMLShape; do \
	  $(GO) test ./reports -run '^$$' -fuzz "^$$t\$$" -fuzztime $${FUZZTIME:-20s} -fuzzminimizetime 5s || exit 1; done
	$(GO) test ./ui -run '^$$' -fuzz '^FuzzPathSVG$$' -fuzztime $${FUZZTIME:-20s}
	$(GO) test ./ui -run '^$$' -fuzz '^FuzzSplitAtLength$$' -fuzztime $${FUZZTIME:-20s}

# Regenerate the demo mailbox with the real peers (dkimpy signs it).
demo: deps-test
	$(GO) run ./assets/gen

deps-run: .deps-go
	@$(MAKE) --no-print-directory .apt PKGS="$(RUN_PKGS)"

deps-windows:
	@$(MAKE) --no-print-directory .apt PKGS="$(WIN_PKGS)"

deps-test: .deps-go
	@$(MAKE) --no-print-directory .apt PKGS="$(RUN_PKGS) $(TEST_PKGS) $(WIN_PKGS)"

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
