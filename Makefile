# Every target runs on the project's own Node.js 24 (bootstrapped into .tools/)
# and the project's own dev tools (node_modules/.bin), whatever the machine has.
SHELL := /bin/bash
ROOT := $(CURDIR)
export PATH := $(ROOT)/.tools/bin:$(ROOT)/node_modules/.bin:$(PATH)
export npm_config_nodedir := $(ROOT)/.tools
NODE := $(ROOT)/.tools/bin/node
JEST := $(NODE) --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js

.PHONY: all build test lint fmt typecheck unit crds demo bench e2e-kind clean deps native

all: build

$(NODE): scripts/bootstrap-node.sh
	@scripts/bootstrap-node.sh
	@touch $(NODE)

node_modules/.installed: package.json package-lock.json | $(NODE)
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.installed

# The AgentPolicy file validator, compiled from the schema by Ajv here rather
# than in every sidecar at start (sidecar/policy/validator-source.ts). Committed,
# so a checkout runs and tests without a build; a test checks it is current.
POLICY_VALIDATOR := sidecar/policy/policy-validator.generated.ts
$(POLICY_VALIDATOR): api/schema.ts api/types.ts sidecar/policy/validator-source.ts api/generate-policy-validator.ts | node_modules/.installed
	$(NODE) --experimental-transform-types --no-warnings --import ./test/run-from-source.mjs api/generate-policy-validator.ts $@

build: deps native $(POLICY_VALIDATOR)
	tsc -p tsconfig.build.json

# The SO_ORIGINAL_DST addon (sidecar/intercept/native), built offline against
# .tools/include/node with npm's own node-gyp (or a node_modules one if present).
ADDON := sidecar/intercept/native/build/Release/original_dst.node
NODE_GYP = $(firstword $(wildcard node_modules/node-gyp/bin/node-gyp.js) \
  $(wildcard $(dir $(shell command -v npm))../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js))
# One recipe for both addons: node-gyp in the folder of the rule's first prerequisite.
define build-addon
@test -n "$(NODE_GYP)" || { echo "node-gyp not found (npm's bundled copy or node_modules/node-gyp)" >&2; exit 1; }
cd $(<D) && $(NODE) $(abspath $(NODE_GYP)) rebuild --nodedir=$(ROOT)/.tools --loglevel=warn
endef
$(ADDON): sidecar/intercept/native/original_dst.c sidecar/intercept/native/binding.gyp | $(NODE)
	$(build-addon)

# The audit worker's command span encoder (sidecar/audit/native), same way.
SPAN_CODEC := sidecar/audit/native/build/Release/span_codec.node
$(SPAN_CODEC): sidecar/audit/native/span_codec.c sidecar/audit/native/binding.gyp | $(NODE)
	$(build-addon)

native: $(ADDON) $(SPAN_CODEC)

lint: deps
	biome check .

fmt: deps
	biome check --write .

typecheck: deps
	tsc -p tsconfig.json --noEmit

crds: build
	$(NODE) dist/api/generate-crds.js crds
	cp crds/*.yaml charts/agentgate/crds/  # the chart ships them; test/helm checks they match

# Lint and types first (cheap, and a failure there is cheaper to read), then the
# tests; the last line printed is `N passed, N failed, N skipped`.
test: build lint typecheck
	$(JEST) $(JEST_ARGS)

unit: deps native
	$(JEST) --testPathIgnorePatterns '/test/' $(JEST_ARGS)

demo: build
	@bash examples/demo.sh

# PgBouncer is the PostgreSQL bench's peer: installed from Debian's packages when missing.
bench: build
	@test -x /usr/sbin/pgbouncer || { echo "bench: installing Debian's pgbouncer (the peer proxy of the PostgreSQL bench)" >&2; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbouncer >/dev/null; } || \
	  echo "bench: pgbouncer could not be installed; the PostgreSQL bench runs without it" >&2
	$(NODE) --expose-gc dist/bench/run.js $(BENCH_ARGS)

e2e-kind:
	@echo "e2e-kind needs Docker and kind; it cannot run on this machine." >&2
	@exit 1

clean:
	rm -rf dist node_modules/.installed sidecar/intercept/native/build sidecar/audit/native/build
