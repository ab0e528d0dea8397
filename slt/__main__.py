"""``python -m slt``: the ``slt`` command. The guard matters: Dask's LocalCluster (and any
spawned process pool) imports the main module again in every worker process."""

import sys

from slt.cli import main

if __name__ == "__main__":
    sys.exit(main())
