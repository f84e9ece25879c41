"""``python -m genesyscloud.cli ...``: the same as ``genesys-cloud ...``."""

from genesyscloud.cli import main

if __name__ == "__main__":
    main()
