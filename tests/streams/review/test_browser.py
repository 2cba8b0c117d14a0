"""The review page driven by a real headless Chromium (Debian's package)."""

from __future__ import annotations

import shutil
import socket
import threading
import time

import pytest
import uvicorn

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def served(review):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(uvicorn.Config(review.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        yield context.new_page()
        browser.close()


def test_reviewer_corrects_the_amount_in_the_browser_and_approves(review, served, page):
    page.goto(f"{served}/review")
    assert page.url.endswith("/review/login")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.click(f"a[href='/review/docs/{review.record['doc_id']}']")
    # The page image loads and the amount's box is drawn over it.
    # (Polled from here: the page's CSP forbids the string eval wait_for_function uses.)
    img = page.locator("figure.page img").first
    deadline = time.monotonic() + 30
    while img.evaluate("i => i.naturalWidth") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert img.evaluate("i => i.naturalWidth") > 0
    assert page.locator("#box-total_amount").count() == 1
    page.focus("#field-total_amount")
    assert "active" in page.get_attribute("#box-total_amount", "class")
    page.fill("#field-total_amount", "48250.00")
    page.click("button.approve")
    assert "recorded" in page.inner_text(".flash")
    [out] = review.published
    assert out["status"] == "approved"
    assert out["review"]["changes"] == [{"field": "total_amount", "old": None, "new": "48250.00"}]


def test_the_pages_script_and_logout_work_under_the_csp_and_csrf_checks(review, served, page):
    """The page's own script (nonce) posts with the session's CSRF token; an injected inline
    script is blocked by the CSP; the logout button ends the session on the server."""
    blocked = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"{served}/review/login")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.goto(f"{served}/review/docs/{review.record['doc_id']}")
    page.click("button.reread")
    out = page.locator("pre.reread-out").first
    deadline = time.monotonic() + 20
    while "USD 48,250.00" not in out.inner_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "0.99  USD 48,250.00" in out.inner_text()
    assert review.actions[-1][1] == "reread_page"
    # What an XSS would try: an inline script without the nonce does not run.
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = "document.title = 'pwned'"; document.body.appendChild(s); }""")
    assert page.title() != "pwned" and any("Content Security Policy" in m for m in blocked)
    page.click("header button")  # Log out
    assert page.url.endswith("/review/login")
    page.goto(f"{served}/review")
    assert page.url.endswith("/review/login")


def test_a_receipts_merchant_address_is_shown_boxed_and_corrected_in_the_browser(review, served, page):
    """wip4/address: the new receipt field renders and works like the others (its box lights up on focus)."""
    from tests.streams.review.test_review_receipt_address import _extracted, _record

    record = _record(review, _extracted())
    review.queue.apply(record)
    page.goto(f"{served}/review/login")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.goto(f"{served}/review/docs/{record['doc_id']}")
    assert page.input_value("#field-merchant_address") == "Detmolder Straße 4 33102 Paderborn"
    assert page.locator("#box-merchant_address").count() == 1
    page.focus("#field-merchant_address")
    assert "active" in page.get_attribute("#box-merchant_address", "class")
    page.fill("#field-merchant_address", "Detmolder Straße 4, 33102 Paderborn")
    page.click("button.approve")
    assert "recorded" in page.inner_text(".flash")
    [out] = review.published
    assert {"field": "merchant_address", "old": "Detmolder Straße 4 33102 Paderborn",
            "new": "Detmolder Straße 4, 33102 Paderborn"} in out["review"]["changes"]
