# `make` cleans seeds/ into cleaned/; `make test` runs every test; `make eval` scores the
# cleaner on the benchmark pages; `make train` retrains the line classifier; `make rules-dfa`
# rewrites rules/default.dfa (the regex rules' precompiled automata) after a rule edit, and
# `make rules-stored` rules/default.rules (the whole rule set compiled ahead of time).
BIN := target/release/boilerstrip
SHB := benches/data/shb-dev

.PHONY: all build test eval train bench clean-output rules-dfa rules-stored

all: build
	$(BIN) clean seeds --out cleaned

build:
	cargo build --release --locked

test:
	cargo test --release --locked

eval: build
	$(BIN) eval --input $(SHB)/input --gold $(SHB)/gold

train: build
	$(BIN) train --input $(SHB)/input --gold $(SHB)/gold --out models/line-classifier.json

bench:
	cargo bench --locked

rules-dfa:
	BOILERSTRIP_WRITE_DFA=1 cargo test --release --locked --lib builtin_dfa_blob

rules-stored:
	BOILERSTRIP_WRITE_RULES=1 cargo test --release --locked --lib builtin_rules_stored
