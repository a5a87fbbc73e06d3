"""Lets ``python -m auditor`` behave exactly like the console script.

A Ctrl-C while the command line is still loading (before ``auditor.cli`` can
catch it) is the same one line and exit status 130 as during a scan.
"""

import sys


def run() -> None:
    try:
        from auditor.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("auditor: interrupted\n")
        exec("")  # see auditor.exits.exit_interrupted
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
