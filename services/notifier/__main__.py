"""`python -m services.notifier`: start the service, or run one of its commands."""

import sys

from services.notifier.entrypoints.cli import main

if __name__ == "__main__":
    sys.exit(main())
