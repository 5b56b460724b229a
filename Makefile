# The whole test suite. GATEHOUSE_TEST_POSTGRES, when set, runs the
# PostgreSQL half of the contract suite too (.ci/run sets it).
GO ?= go
TESTFLAGS ?= -race -count=1
# staticcheck, pinned; "go run" fetches it through the module proxy, so a
# fresh machine needs nothing installed beyond Go.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: test check bench build
test: check
	$(GO) test $(TESTFLAGS) ./...

check:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: the files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(STATICCHECK) ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

build:
	$(GO) build -o bin/gatehouse ./cmd/gatehouse
