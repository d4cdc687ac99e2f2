"""Start the counter service: `python -m services.counter`."""

from services.counter.app import create_app
from services.counter.config import CounterSettings
from shared.platform.runner import run_service

if __name__ == "__main__":
    run_service("counter", CounterSettings, create_app)
