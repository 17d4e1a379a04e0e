# The two commands (see README): `make demo` and `make test`. Logic lives in scripts/.
.PHONY: demo test bench fuzz

demo:
	@bash scripts/demo.sh

test:
	@bash scripts/test.sh

bench:
	@bash scripts/bench.sh

fuzz:
	@bash scripts/fuzz.sh
