"""Log a TestClient in the way a browser does: the login form's CSRF token, then the
session's token (the page's csrf-token meta) sent as X-CSRF-Token on later requests."""

from __future__ import annotations

import re

PASSWORD = "correct horse battery"


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]*)"', html).group(1)


def login(client, username: str = "ana", password: str = PASSWORD):
    page = client.get("/review/login")
    resp = client.post("/review/login", data={"username": username, "password": password,
                                              "csrf_token": form_token(page.text)}, follow_redirects=False)
    if resp.status_code == 303:
        listing = client.get("/review", headers={"accept": "text/html"})
        client.headers["X-CSRF-Token"] = re.search(r'<meta name="csrf-token" content="([^"]+)"',
                                                   listing.text).group(1)
    return resp
