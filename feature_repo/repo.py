"""Entry point of the ``feast`` CLI (``feast plan``, ``feast apply``): the only file it scans.

Feast imports every non-ignored ``*.py`` of the repo as a *top-level* module (``entities``,
``views.transactions``, ...). If it imported the definition modules themselves, an object would
exist twice (once as ``entities.customer``, once as ``feature_repo.entities.customer``, imported
by the views) and ``feast apply`` would reject the duplicate names. So ``.feastignore`` hides the
definition modules and this file exposes the objects built by
:func:`feature_repo.definitions.build_feature_repo` for the profile and run directory in the
environment (``EB_PROFILE``, ``EB_RUN_DIR``; read through ``BrainSettings``, the single source
of configuration); without ``EB_RUN_DIR`` it is the checkout's ``.run/``, the directory the
yaml files name. Python code never imports this module; it calls ``build_feature_repo``.

Feast's scan collects module attributes by type, so the objects are exposed as module globals
(one per registered object, named after the object).
"""

from __future__ import annotations

from pathlib import Path

from feature_repo.definitions import build_feature_repo, feature_data_dir
from kernel.settings import BrainSettings

_settings = BrainSettings()
if "run_dir" not in _settings.model_fields_set:  # EB_RUN_DIR unset: the checkout's, as the yaml says
    _settings = BrainSettings(run_dir=Path(__file__).resolve().parent.parent / ".run")
_repo = build_feature_repo(feature_data_dir(_settings.run_dir, _settings.profile.value))

globals().update({obj.name: obj for obj in _repo.objects()})
