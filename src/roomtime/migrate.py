"""Alembic, configured in code so `roomtime migrate` works from any directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import roomtime

_PACKAGE_DIR = Path(roomtime.__file__).resolve().parent
# An installed wheel carries them inside the package; a checkout (and an editable install)
# keeps them at the top of the repository, beside src/.
_INSTALLED = _PACKAGE_DIR / "migrations"
MIGRATIONS_DIR = _INSTALLED if _INSTALLED.is_dir() else _PACKAGE_DIR.parents[1] / "migrations"


def alembic_config(database_url: str) -> Config:
    if not MIGRATIONS_DIR.is_dir():
        raise RuntimeError(
            f"migrations not found at {MIGRATIONS_DIR}: the installation is incomplete "
            "(reinstall the wheel, or `pip install -e .` from a checkout)"
        )
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
