"""Start the notifier service: `python -m services.notifier`."""

from services.notifier.entrypoints.cli import main

if __name__ == "__main__":
    main()
