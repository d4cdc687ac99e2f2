"""`python -m services.content`: start the service, or run one of its commands."""

import sys

from services.content.entrypoints.cli import main

if __name__ == "__main__":
    sys.exit(main())
