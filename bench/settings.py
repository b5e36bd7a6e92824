"""Settings of benchmark processes: the project's settings plus the baseline views' URLs."""

from skillgate.settings import *  # noqa: F403
from skillgate.settings import BASE_DIR

ROOT_URLCONF = "bench.urls"
# collectstatic output of benchmark runs stays out of the project's own static root
STATIC_ROOT = BASE_DIR / "bench" / "results" / "raw" / "static"
