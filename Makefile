# Lumières: `make run` serves the demo, `make test` runs every test.
# Each target installs what it needs, once; later runs skip what is present.
SHELL := /bin/bash
.DEFAULT_GOAL := run

CARGO_LEPTOS_VERSION := 0.3.10
# Formats the bodies of `view!` (rustfmt leaves them as written); settings in leptosfmt.toml.
LEPTOSFMT_VERSION := 0.1.33
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
NODE_BIN := $(CURDIR)/end2end/node_modules/.bin
export PATH := $(NODE_BIN):$(HOME)/.cargo/bin:$(PATH)
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export TEST_POSTGRES_URL
# cargo-leptos builds with this set, and Leptos then names the bundle after
# it; set for every build here, the server binary `cargo test` builds finds
# the bundle the browser tests load (and no build undoes another's).
export LEPTOS_OUTPUT_NAME := lumieres

.PHONY: run test checks ci-build ci-bundle ci-unit ci-browser-tests format-check setup tools npm chromium postgres haproxy smtp-sink feed-checker api-checker image-checker html-checker build site site-debug check-bin lint lint-wasm unit e2e e2e-debug-hydration bench cluster clean-test-dbs

run: setup build
	./target/release/server seed-demo --if-empty
	./target/release/server serve

# Every check, in the order their inputs come (BENCHMARKS.md, "CI wall
# time"). First the compiles, two lines at once: the server's (formatting,
# then the test build with clippy's lints compiled in — `CLIPPY_BUILD`) and
# the browser's (the release bundle, the debug bundle with the browser
# side's lints compiled in, and the check that the test build's server
# binary is the one `make run` builds). Each line spends long stretches
# compiling one large crate on one core, so on two cores they mostly overlap. Then the
# tests, then the browser tests, each alone: some compare answer times
# (issue 28), which a compile beside them skews.
test: setup postgres haproxy smtp-sink feed-checker api-checker image-checker html-checker chromium
	$(MAKE) -j2 --output-sync=target checks

checks: ci-browser-tests

ci-build: format-check
	$(CLIPPY_BUILD) cargo test -p app -p server --no-run

ci-bundle:
	$(MAKE) site
	$(MAKE) site-debug
	$(MAKE) check-bin

ci-unit: ci-build ci-bundle
	$(MAKE) unit

# The browser tests run the server binary that `unit` built (target/debug)
# with the release browser bundle (`site`): the server's release build is
# `run`'s and `bench`'s. It took 11 of CI's 30 minutes.
ci-browser-tests: ci-unit
	cd end2end && npx playwright test
	$(MAKE) e2e-debug-hydration

# The server binary as `make run` builds it is the one the test build
# compiled: every crate it depends on has the same features with and without
# the tests' dev-dependencies, whose features could otherwise hide one the
# binary lacks (tokio's `process` once did). It compiled the binary again,
# in target/front: ten minutes of CI; comparing the features takes seconds.
check-bin:
	python3 end2end/build/same_features.py

## --- set-up (idempotent) ---------------------------------------------------

setup: tools npm

tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)" || \
	  cargo install cargo-leptos@$(CARGO_LEPTOS_VERSION) --locked
	@wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)" || \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	@leptosfmt --version 2>/dev/null | grep -q "$(LEPTOSFMT_VERSION)" || \
	  cargo install leptosfmt --version $(LEPTOSFMT_VERSION) --locked

# binaryen gives the wasm-opt that cargo-leptos uses for release builds;
# Playwright and axe-core run the browser tests.
npm: end2end/node_modules/.installed
end2end/node_modules/.installed: end2end/package.json end2end/package-lock.json
	@command -v npm >/dev/null || { apt-get update && apt-get install -y nodejs npm; }
	cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

chromium:
	@test -x /usr/bin/chromium || { apt-get update && apt-get install -y chromium; }

# Starts the local PostgreSQL if it is stopped, installs it if it is absent.
postgres:
	@if ! command -v pg_ctlcluster >/dev/null; then apt-get update && apt-get install -y postgresql; fi
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -1) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@psql "$(TEST_POSTGRES_URL)" -qtAc "SELECT 1" >/dev/null || \
	  { echo "PostgreSQL at $(TEST_POSTGRES_URL) does not accept connections (trust auth expected)"; exit 1; }

# The load balancer in front of several instances (Debian's package): the
# cluster script and the tests of several instances run it.
haproxy:
	@command -v haproxy >/dev/null || { apt-get update && apt-get install -y haproxy; }

# A real SMTP server for the mail tests: aiosmtpd, from PyPI.
AIOSMTPD_VERSION := 1.4.6
# Any installed aiosmtpd will do; else PyPI, else Debian's package (for a system Python without pip).
smtp-sink:
	@python3 -c "import aiosmtpd" 2>/dev/null || \
	  python3 -m pip install --quiet --disable-pip-version-check aiosmtpd==$(AIOSMTPD_VERSION) || \
	  { apt-get update && apt-get install -y python3-aiosmtpd; }

# A second consumer of our own feeds: Python's feedparser, from PyPI.
FEEDPARSER_VERSION := 6.0.11
feed-checker:
	@python3 -c "import feedparser" 2>/dev/null || \
	  python3 -m pip install --quiet --disable-pip-version-check feedparser==$(FEEDPARSER_VERSION) || \
	  { apt-get update && apt-get install -y python3-feedparser; }

# Independent judges of the open data, from PyPI: openapi-spec-validator
# for our OpenAPI document (its jsonschema judges every response against
# it), PyLD for the pages' JSON-LD, schemathesis to send what the document
# allows (hypothesis pinned: its newer releases break hypothesis-jsonschema).
OPENAPI_SPEC_VALIDATOR_VERSION := 0.7.1
PYLD_VERSION := 2.0.4
SCHEMATHESIS_VERSION := 4.32.5
HYPOTHESIS_VERSION := 6.170.9
api-checker:
	@python3 -c "import schemathesis" 2>/dev/null || \
	  python3 -m pip install --quiet --disable-pip-version-check schemathesis==$(SCHEMATHESIS_VERSION) hypothesis==$(HYPOTHESIS_VERSION)
	@python3 -c "import openapi_spec_validator" 2>/dev/null || \
	  python3 -m pip install --quiet --disable-pip-version-check openapi-spec-validator==$(OPENAPI_SPEC_VALIDATOR_VERSION)
	@python3 -c "import pyld" 2>/dev/null || \
	  python3 -m pip install --quiet --disable-pip-version-check PyLD==$(PYLD_VERSION)

# An independent reader of the portraits we serve (what a photo carries
# besides its pixels), which also makes the test photos: Pillow, from PyPI.
PILLOW_VERSION := 13.0.0
image-checker:
	@python3 -c "import PIL" 2>/dev/null || \
	  python3 -m pip install --quiet --disable-pip-version-check Pillow==$(PILLOW_VERSION) || \
	  { apt-get update && apt-get install -y python3-pil; }

# The W3C's Nu HTML checker judges every public page (issue 31): vnu-jar
# comes with the npm packages (`npm`), the Java it runs on from Debian.
html-checker: npm
	@command -v java >/dev/null || { apt-get update && apt-get install -y default-jre-headless; }

## --- build -----------------------------------------------------------------

build:
	cargo leptos build --release
	@# Serve the bundle precompressed (brotli, gzip): the first visit of a phone counts.
	@command -v brotli >/dev/null || { apt-get update && apt-get install -y brotli; }
	cd target/site/pkg && for f in *.wasm *.js *.css; do gzip -9 -k -f "$$f"; brotli -q 11 -k -f "$$f"; done

# The browser bundle as users get it (release) and the styles.
site:
	cargo leptos build --frontend-only --release

# The browser bundle as a debug build, beside the release one: where server
# and island disagree, its hydration names the place (issue 31). Compiled
# with clippy's driver (`CLIPPY_BUILD`): the same compile is the browser
# side's lint (`lint-wasm`'s, which CI ran as a third compile of it).
site-debug:
	LEPTOS_SITE_ROOT=target/site-debug $(CLIPPY_BUILD) cargo leptos build --frontend-only

## --- tests -----------------------------------------------------------------

format-check:
	cargo fmt --all --check
	leptosfmt --quiet --check app/src

lint: format-check
	cargo clippy --workspace --all-targets --all-features -- -D warnings

# clippy's lints, warnings as errors, on the workspace's own crates while
# they are compiled for the tests: `cargo clippy` is this driver in check
# mode, so a separate `cargo clippy` then `cargo test` compiled the large
# `app` crate twice more (ten minutes of CI on a slow machine). What it
# leaves out is the browser's side, which `lint-wasm` lints; the same
# settings for every build of target/debug, or each would undo the other's.
# CLIPPY_ARGS is how `cargo clippy` hands its arguments to the driver.
CLIPPY_BUILD := RUSTC_WORKSPACE_WRAPPER=$$(command -v clippy-driver) CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__

# The browser's side alone (`hydrate` without `ssr`: what --all-features
# never compiles), beside the bundle's own build.
WASM_LINT_DIR ?= target/front
lint-wasm:
	cargo clippy -p frontend --target wasm32-unknown-unknown --target-dir $(WASM_LINT_DIR) -- -D warnings

# Four tests at a time on two cores: most of them wait on the database, a
# server or a mail sink rather than compute (the integration tests took 207 s
# with two, 124 s with four, 109 s with six; BENCHMARKS.md "CI wall time").
# Each holds a few database connections: PostgreSQL allows 100.
unit: clean-test-dbs
	$(CLIPPY_BUILD) cargo test -p app -p server -- --test-threads=4

# `cargo test --no-run` is a no-op after `unit`; alone, it builds the server.
e2e: chromium site
	$(CLIPPY_BUILD) cargo test -p app -p server --no-run
	cd end2end && npx playwright test

# The islands hydrated by the debug bundle, whose checks say where server
# and island disagree (`end2end/tests/hydration.spec.ts`).
e2e-debug-hydration:
	cd end2end && LUMIERES_SITE=../target/site-debug npx playwright test --project=hydrated tests/hydration.spec.ts

clean-test-dbs:
	@psql "$(TEST_POSTGRES_URL)" -qtAc "SELECT 'DROP DATABASE ' || datname || ' WITH (FORCE);' FROM pg_database WHERE datname LIKE 'lumieres_test_%'" \
	  | psql "$(TEST_POSTGRES_URL)" -q >/dev/null 2>&1 || true

## --- several instances -----------------------------------------------------

# Two instances on one PostgreSQL behind HAProxy, on loopback (README,
# "Several instances"); Ctrl-C stops them all. `CLUSTER_INSTANCES=3` for three.
cluster: setup postgres haproxy build
	./end2end/cluster/cluster.sh up $${CLUSTER_INSTANCES:-2}

## --- benchmarks ------------------------------------------------------------

bench: setup postgres haproxy build
	./end2end/bench/pages.sh
	./end2end/bench/fame.sh
	./end2end/bench/surge.sh
	./end2end/bench/faults.sh
	./end2end/bench/readers.sh
	./end2end/bench/feeds.sh
	./end2end/bench/search.sh
