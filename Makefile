# `make` cleans seeds/ into cleaned/; `make test` runs every test; `make eval` scores the
# cleaner on the benchmark pages; `make train` retrains the line classifier.
BIN := target/release/boilerstrip
SHB := benches/data/shb-dev

.PHONY: all build test eval train bench clean-output

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
