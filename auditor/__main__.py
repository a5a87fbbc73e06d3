"""Lets ``python -m auditor`` behave exactly like the console script."""

from auditor.cli import main

if __name__ == "__main__":
    main()
