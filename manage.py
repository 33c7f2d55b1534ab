#!/usr/bin/env python
"""Same as the `tinhso` console script, for those who expect manage.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from tinhso.cli import main

if __name__ == "__main__":
    main()
