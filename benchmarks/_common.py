"""What the benchmarks share: a scratch database, the catalogue, timing and output.

Each benchmark runs against a database of its own: an SQLite file in a temporary folder by
default, or, with ``--database-url postgresql+psycopg://user@host:port/db``, a new database
``straxlab_bench_<uuid>`` created on that server and dropped (WITH (FORCE)) afterwards. The
schema comes from the project's own migrations, so indexes and constraints are the real ones.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
# The benchmarks share the test suite's scratch databases (tests/scratch.py).
sys.path.insert(0, str(ROOT))
from tests import scratch  # noqa: E402

# ~40 types of ~20 assets: the shape the brief (and a large school lab) has.
TYPES = 40
ASSETS_PER_TYPE = 20
TEACHERS = 200


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help="a PostgreSQL server URL to create the scratch database on "
        "(default: an SQLite file in a temporary folder; env BENCH_DATABASE_URL)",
    )
    return p


is_postgres = scratch.is_postgres


@contextlib.contextmanager
def scratch_database(server_url: str, label: str) -> Iterator[str]:
    """A new, migrated database; removed afterwards."""
    with (
        tempfile.TemporaryDirectory(prefix="straxlab-bench-") as folder,
        scratch.migrated_database(server_url, Path(folder), f"straxlab_bench_{label}") as url,
    ):
        yield url


def make_app(url: str) -> Any:
    from straxlab import create_app
    from straxlab.config import TestConfig

    # TestConfig: the production stack (engine, session, SQLite discipline, services) with a
    # throwaway secret and cheap password hashing; nothing here is about passwords.
    return create_app(TestConfig(url))


@dataclass(frozen=True)
class Catalogue:
    type_ids: list[int]
    # asset ids per type id, in id order
    assets: dict[int, list[int]]
    teacher_ids: list[int]


def seed_catalogue(
    url: str,
    *,
    types: int = TYPES,
    assets_per_type: int = ASSETS_PER_TYPE,
    teachers: int = TEACHERS,
    max_advance_days: int = 365,
) -> Catalogue:
    """Categories, ``types`` equipment types of ``assets_per_type`` assets, and teachers."""
    from straxlab.auth import passwords
    from straxlab.auth.models import User
    from straxlab.auth.rules import Role
    from straxlab.equipment.models import Asset, Category, EquipmentType
    from straxlab.extensions import db

    app = make_app(url)
    now = datetime.now(UTC)
    with app.app_context():
        categories = [Category(name=f"Category {n}") for n in range(1, 9)]
        db.session.add_all(categories)
        password = passwords.hash_password("benchmark password, never used")
        people = [
            User(
                email=f"teacher{n}@bench.example",
                name=f"Teacher {n}",
                role=Role.TEACHER,
                password_hash=password,
                created_at=now,
            )
            for n in range(1, teachers + 1)
        ]
        db.session.add_all(people)
        kinds = []
        for n in range(1, types + 1):
            kind = EquipmentType(
                name=f"Type {n:02d}",
                category=categories[n % len(categories)],
                max_loan_days=14,
                max_advance_days=max_advance_days,
            )
            kinds.append(kind)
            for m in range(1, assets_per_type + 1):
                db.session.add(Asset(equipment_type=kind, tag=f"T{n:02d}-{m:03d}", created_at=now))
        db.session.add_all(kinds)
        db.session.commit()
        assets: dict[int, list[int]] = {}
        for type_id, asset_id in db.session.execute(
            sa.select(Asset.equipment_type_id, Asset.id).order_by(Asset.id)
        ):
            assets.setdefault(type_id, []).append(asset_id)
        catalogue = Catalogue(
            type_ids=[k.id for k in kinds], assets=assets, teacher_ids=[p.id for p in people]
        )
        db.session.remove()
        db.engine.dispose()
    return catalogue


def median_seconds(action: Callable[[], Any], *, repeat: int, warmup: int = 3) -> float:
    """The median wall time of ``action`` over ``repeat`` runs, after ``warmup`` runs."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def describe_database(url: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                version = conn.exec_driver_sql("SHOW server_version").scalar()
                return f"PostgreSQL {version}"
            version = conn.exec_driver_sql("SELECT sqlite_version()").scalar()
            return f"SQLite {version} (WAL, synchronous=NORMAL)"
    finally:
        engine.dispose()


def describe_machine() -> str:
    return f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"
