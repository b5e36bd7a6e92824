"""Tenant isolation declarations of the certification app."""

CASES: list = []

MAKERS: dict = {}

GLOBAL_URLS: dict = {}

GLOBAL_MODELS = {
    "certification.SweepMark": "platform bookkeeping: when a sweep last ran",
}
