"""Start the notifier service: `python -m services.notifier`."""

from services.notifier.app import create_app
from services.notifier.config import NotifierSettings
from shared.platform.runner import run_service

if __name__ == "__main__":
    run_service("notifier", NotifierSettings, create_app)
