import pytest


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # With DATABASE_URL set DEBUG defaults to off, which turns on the HTTPS redirect; the test
    # client speaks plain HTTP.
    settings.SECURE_SSL_REDIRECT = False
