# Two commands do all the set-up (see README): `make run` and `make test`.
# Both create .venv on first use (scripts/bootstrap finds a Python >= 3.12 and installs requirements.lock).

.PHONY: run test bootstrap clean

run: bootstrap
	.venv/bin/probmodel run
	@echo "next: 'source .venv/bin/activate' puts probmodel on PATH for the README's commands"

test: bootstrap
	@./scripts/ensure-browser
	.venv/bin/lint-imports --no-cache
	.venv/bin/python -m pytest -n 2 --dist loadscope --durations=25

bootstrap:
	@./scripts/bootstrap

clean:
	rm -rf .venv results .pytest_cache
