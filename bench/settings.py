"""Settings of benchmark processes: the project's settings plus the baseline views' URLs."""

from skillgate.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
