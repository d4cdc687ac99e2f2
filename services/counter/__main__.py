"""Run the counter: `python -m services.counter` serves; `... baseline --visits N` imports."""

from services.counter.entrypoints.cli import main

if __name__ == "__main__":
    main()
