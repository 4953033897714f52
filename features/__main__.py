"""``python -m features apply``: register the feature repo for the configured profile.

Same objects as ``feast apply``, but configured from ``BrainSettings`` (``EB_*``) only, and it
also creates the run directory and the empty Parquet files that the ``feast`` CLI expects to exist.
"""

from __future__ import annotations

import argparse
import logging

from features.feast_store import FeastFeatureStore
from kernel.settings import BrainSettings

__all__ = ["main"]

_log = logging.getLogger("features")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m features", description=__doc__)
    parser.add_argument("command", choices=["apply"])
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = BrainSettings()
    store = FeastFeatureStore(settings)
    store.apply()
    _log.info(
        "profile %s, run dir %s, project %s: applied", settings.profile.value, settings.run_dir, store.project
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
