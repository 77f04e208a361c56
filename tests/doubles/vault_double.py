#!/usr/bin/python3
"""HashiCorp Vault test double for keyd's tests. Standard library only; see README.md beside this file.

    /usr/bin/python3 tests/doubles/vault_double.py --port 0 --port-file PORT --token-file TOKEN [--quiet]
"""

import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from vaultdouble.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
