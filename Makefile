# Two commands matter: `make up` (start everything) and `make test` (run every test).
.PHONY: up down test test-deploy lint bench

up: ## infrastructure + the three services + the web page, then print the URLs
	@bash scripts/bootstrap.sh
	@INFRA_RABBITMQ_MANAGEMENT=1 bash scripts/infra.sh up
	@bash scripts/services.sh up

down: ## stop the services, then the infrastructure this project started
	@bash scripts/services.sh down
	@bash scripts/infra.sh down

lint: ## ruff and mypy, as CI runs them
	@bash scripts/bootstrap.sh
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

test: lint ## lint; unit, integration and end-to-end tests on real servers; the Docker stacks
	@bash scripts/infra.sh up
	@bash scripts/compose-schema.sh
	.venv/bin/pytest
	@$(MAKE) --no-print-directory test-deploy

test-deploy: ## docker-compose.yml (and the swarm stack) on Docker, with local stand-in images
	@bash scripts/docker.sh up
	.venv/bin/pytest -s tests/deploy

bench: ## every benchmark on the `make up` configuration, one table (run it alone: ~20 min)
	@bash scripts/bootstrap.sh
	@bash scripts/infra.sh up
	.venv/bin/python bench/run.py
