"""Start the content service: `python -m services.content`."""

from services.content.app import create_app
from services.content.config import ContentSettings
from shared.platform.runner import run_service

if __name__ == "__main__":
    run_service("content", ContentSettings, create_app)
