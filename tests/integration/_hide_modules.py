"""Run a module as ``python -m`` would, with some modules hidden as if not installed.

Usage: python _hide_modules.py MOD1,MOD2 MODULE [ARGS...]
"""

import runpy
import sys

for name in sys.argv[1].split(","):
    sys.modules[name] = None  # `import name` raises ImportError, as when the package is absent
sys.argv = [sys.argv[2]] + sys.argv[3:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
