# The two commands: `make dev` runs the whole backend on http://127.0.0.1:8787; `make test` runs
# every test. Both install what they need first (scripts/setup.sh, idempotent).
SHELL := /bin/bash
FUNCTIONS := objects login catalog helper book waitlist cancel progress ops events notify

.PHONY: dev test deploy setup browser build lint unit simulate blackbox fakes-test miniprogram-test deploy-test bench-test deploy-dry-run reset bench clean

dev: setup build
	npm run --silent dev

test: setup browser lint unit build fakes-test miniprogram-test deploy-test bench-test deploy-dry-run blackbox

# Every Worker onto the Cloudflare account wrangler is logged in to (README "Deploying"); VALUES
# names the operator's values file (app ids, public keys, YUYUE_ZONE, secrets not yet set).
deploy: setup build
	npm run --silent deploy -- $(if $(VALUES),--values "$(VALUES)")

setup:
	@bash scripts/setup.sh

# Chromium for the dashboard's browser test (Debian's package), only what `make test` needs.
browser:
	@bash scripts/setup-browser.sh

build: setup
	@bash scripts/build.sh $(FUNCTIONS)

lint: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings

unit: setup
	cargo test -p yuyue-shared --quiet
	cargo test -p yuyue-adapter --lib --quiet

# More seeds of the deterministic simulation than `make test` runs (shared/src/booking/simulation.rs),
# optimised: `make simulate SEEDS=100000`; FIRST picks the first seed.
simulate: setup
	SIM_SEEDS=$(or $(SEEDS),20000) SIM_FIRST_SEED=$(or $(FIRST),1) cargo test -p yuyue-shared --release --quiet --lib booking::simulation -- --nocapture

fakes-test: setup
	npm run --silent test:fakes

# The mini-program's pages and API module under WeChat's miniprogram-simulate (no stack needed);
# its end-to-end journey runs with the black-box suite (tests/miniprogram-journey.test.mjs).
miniprogram-test: setup
	npm run --silent test:miniprogram

# What needs no account or stack (tests/deploy/): wrangler.toml's bindings, the configuration the
# code reads against wrangler.toml and README, make deploy against a fake wrangler, the commands the
# READMEs name, and every built function within the 300 KB gzipped budget.
deploy-test: setup build
	npm run --silent test:deploy

# The bench's own logic (load accounting, the scenarios' checks), no stack needed.
bench-test: setup
	npm run --silent test:bench

# What `make deploy` does that needs no account: the bindings, the settings, the migrations on an
# empty local database, and every Worker bundled as it would be uploaded.
deploy-dry-run: setup build
	npm run --silent deploy -- --dry-run

blackbox: setup browser build
	npm run --silent test:blackbox

bench: setup build
	npm run --silent bench

# Wipes the local stack's persisted D1/KV/Durable Object state (the next `make dev` re-seeds).
reset:
	rm -rf .yuyue/state

clean: reset
	cargo clean
	rm -rf functions/*/build .yuyue
