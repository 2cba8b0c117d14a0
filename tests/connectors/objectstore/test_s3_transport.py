"""The S3 client speaks TLS exactly when the configured endpoint says https."""

from __future__ import annotations

import pytest

from connectors.objectstore.s3 import S3ObjectStore
from inkstream.settings import load_settings


@pytest.mark.parametrize(("endpoint", "https"), [("https://s3.example.com:9000", True),
                                                  ("http://127.0.0.1:7070", False)])
def test_the_s3_client_uses_https_when_the_endpoint_url_says_https(endpoint, https):
    store = S3ObjectStore.from_settings(load_settings(s3={"endpoint": endpoint}), ensure_bucket=False)
    url = store._client._base_url
    assert url.is_https is https
    assert url.host.startswith(endpoint.split("://")[1].split(":")[0])
