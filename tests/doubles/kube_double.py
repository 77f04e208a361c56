#!/usr/bin/python3
"""kube-apiserver test double for keyd's tests. Standard library only; see README-kube.md beside this file.

    /usr/bin/python3 tests/doubles/kube_double.py --port 0 --port-file PORT --token-file TOKEN \
        --tls-cert server.crt --tls-key server.key [--client-ca ca.crt] [--quiet] [--exit-with-parent]
"""

import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kubedouble.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
