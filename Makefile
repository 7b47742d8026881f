# The organization back end. `make run` starts it locally; `make test` runs every test.
# Both install what they need from the project's own files (go.mod, package-lock.json).

SHELL := /bin/bash
GO    ?= go
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20

FUNCTIONS := $(notdir $(patsubst %/,%,$(wildcard functions/*/)))
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w'

.PHONY: all deps generate build run demo test lint iam-usage unit synth deploy invoke clean

all: build

# npm ci installs the pinned stand-ins, the CDK CLI and Swagger UI; no package needs its install
# scripts (one would only phone home), so none run. The go.mod written into node_modules
# makes it a module of its own, so that the Go files some npm packages ship stay out of ./...
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error --ignore-scripts
	printf 'module ignored/node_modules\n' > node_modules/go.mod
	touch $@

deps: node_modules/.installed
	$(GO) mod download

generate:
	$(GO) generate ./functions

# One bootstrap per function, for Lambda's provided.al2023 runtime on arm64, and the table of
# public mail domains, which the stack packages as the layer of the two functions that read it
# (2 MB of data that no binary links).
build: $(addprefix build/,$(addsuffix /bootstrap,$(FUNCTIONS))) build/MailDomainsLayer/domains.txt

build/MailDomainsLayer/domains.txt: internal/provisioning/maildomains/domains.txt
	@mkdir -p $(dir $@)
	cp $< $@

build/%/bootstrap: FORCE
	@mkdir -p $(dir $@)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $@ ./functions/$*

FORCE:

# The settings tests and developers turn pass through (unset: local mode's defaults), PORT
# among them. The server replaces the recipe's shell (exec), so that Ctrl-C or a SIGTERM to
# make reaches it directly and it stops cleanly, stand-ins and all.
run: deps
	@mkdir -p .local/bin
	$(GO) build -o .local/bin/local ./infra/local
	JOB_INTERVAL=$(JOB_INTERVAL) ORG_DAILY_EMAIL_LIMIT=$(ORG_DAILY_EMAIL_LIMIT) \
		USER_DAILY_EMAIL_LIMIT=$(USER_DAILY_EMAIL_LIMIT) \
		ALLOW_LOOPBACK_WEBHOOKS=$(ALLOW_LOOPBACK_WEBHOOKS) exec .local/bin/local

# With `make run` up: demo users of every role, an org with members, invites, licenses, a
# trial, tickets and events; prints the passwords. Running it again adds nothing. It finds the
# API by PORT or by the URL `make run` wrote into .local/api-url.
demo:
	$(GO) run ./infra/demo

# go vet and staticcheck keep their results in caches (Go's build cache, staticcheck's own):
# a second lint re-checks only the packages that changed and those importing them.
lint: deps .local/tidy-modules
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt needed'; exit 1; }
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@# go.mod and go.sum say exactly what the code imports (direct dependencies not marked
	@# indirect); offline, from the module cache.
	GOPROXY=off $(GO) mod tidy -diff || { echo 'go.mod/go.sum are not tidy: run go mod tidy'; exit 1; }

# `go mod tidy` also reads the modules of the dependencies' tests, which `go mod download`
# does not fetch: they are fetched into the module cache once (and again only when go.mod or
# go.sum change), so that lint's tidiness check needs no network.
.local/tidy-modules: go.mod go.sum
	@mkdir -p .local
	GOPROXY=off $(GO) mod tidy -diff >/dev/null 2>&1 || $(GO) mod tidy -diff >/dev/null 2>&1 || true
	touch $@

# The stack's tests (infra/stack) also run cdk-nag's AwsSolutions rules and cfn-lint over the
# synthesized templates; without cfn-lint they say so and lint nothing. infra/teststandins
# starts the stand-ins once for every test binary (rather than once per binary) and stops
# them when go test ends, Ctrl-C included. go test starts the packages in the order named:
# local mode's end-to-end tests, the longest package by far (about 5 of the run's 10 minutes
# on 2 cores), go first so that the others run beside them rather than after them.
TEST_PACKAGES := ./internal/localmode ./...

test: lint
	@command -v cfn-lint >/dev/null || echo 'make test: cfn-lint not found, the templates are not linted (pip install cfn-lint==1.51.0)'
	$(GO) run ./infra/teststandins $(GO) test -count=1 -timeout 30m $(TEST_PACKAGES)

# The granted actions no test used, function by function (infra/iamusage): every test runs
# with IAM_USAGE_FILE set, so that package iam/enforce records each action a function was
# allowed to make, then the report compares the record with the grants. As long as make test.
iam-usage: deps
	@mkdir -p .local
	rm -f .local/iam-usage.txt
	IAM_USAGE_FILE=$(CURDIR)/.local/iam-usage.txt $(GO) run ./infra/teststandins $(GO) test -count=1 -timeout 30m $(TEST_PACKAGES)
	$(GO) run ./infra/iamusage .local/iam-usage.txt

# Unit tests only: the integration tests skip under -short.
unit:
	$(GO) test -short ./...

# Writes cdk.out/Orgs.template.json and the nested stacks' templates (*.nested.template.json);
# needs no network and no AWS credentials.
synth: deps build
	APP_URL=$${APP_URL:-http://localhost:3000} MAIL_FROM=$${MAIL_FROM:-no-reply@example.com} \
		CDK_OUTDIR=cdk.out $(GO) run ./infra/cdk

# Needs AWS credentials, and `node_modules/.bin/cdk bootstrap` once per account and region.
deploy: synth
	node_modules/.bin/cdk deploy --app cdk.out Orgs --require-approval never

# Runs one function's handler on a sample event against the stand-ins of `make run`, as the
# signed-in user of TOKEN (an ID token from infra/localuser):
#   make invoke FN=get-me EVENT=events/get-me.json   (EVENT defaults to events/$(FN).json)
invoke:
	$(GO) run ./infra/invoke -fn $(FN) -event $(or $(EVENT),events/$(FN).json)

clean:
	rm -rf build cdk.out

# Package size and cold start of every function against a hello-world function, side by side
# (infra/coldstart): a markdown table on stdout, rows over the targets marked.
.PHONY: measure
measure:
	GO=$(GO) $(GO) run ./infra/coldstart
