"""The mobile capture page in a real headless Chromium (Debian's package) whose camera is
a fake device playing a phone-style photo of a sample invoice: tilted, in perspective, on
a dark desk, unevenly lit and noisy. The page must find the sheet, flatten it upright,
build a PDF and upload it through the real upload API (real S3 and Kafka), queueing it
while offline; the stored pages must be upright and read by the OCR the pipeline uses."""

from __future__ import annotations

import io
import shutil
import socket
import threading
import time
import uuid
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
import uvicorn

from connectors.capture.apikeys import ApiKeyStore
from connectors.capture.http import create_app
from connectors.capture.ingest import original_key
from connectors.capture.sink import KafkaRecordSink
from connectors.objectstore import open_store
from topic_admin import delete_prefixed, new_prefix  # tests/topic_admin.py

pytestmark = [pytest.mark.stack, pytest.mark.browser]

SAMPLE = Path(__file__).parents[3] / "samples" / "invoice-digital.pdf"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
LETTER = 8.5 / 11
# Where the sheet's corners land in the 1440x1920 photo: ~4 degrees of tilt, the top edge
# nearer the camera than the bottom one (perspective), margins of desk all round.
PHOTO_SIZE = (1440, 1920)
SHEET_CORNERS = [(250, 210), (1215, 280), (1290, 1700), (165, 1640)]


def phone_photo(pdf: Path) -> np.ndarray:
    """RGB photo of the PDF's first page as a phone would take it."""
    rng = np.random.default_rng(7)
    page = np.asarray(pdfium.PdfDocument(str(pdf))[0].render(scale=150 / 72).to_pil().convert("RGB"))
    h, w = page.shape[:2]
    width, height = PHOTO_SIZE
    desk = cv2.resize(rng.uniform(35, 80, (12, 9, 3)).astype(np.float32), (width, height),
                      interpolation=cv2.INTER_CUBIC)
    warp = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), np.float32(SHEET_CORNERS))
    sheet = cv2.warpPerspective(page.astype(np.float32), warp, (width, height))
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), warp, (width, height))[..., None]
    photo = desk * (1 - mask) + sheet * 0.93 * mask  # paper is never quite white on a photo
    light = np.linspace(1.0, 0.72, width, dtype=np.float32)[None, :, None]  # window on the left
    photo = photo * light + rng.normal(0, 4, photo.shape)
    return cv2.GaussianBlur(np.clip(photo, 0, 255).astype(np.uint8), (3, 3), 0)


def write_y4m(rgb: np.ndarray, path: Path) -> Path:
    """The YUV4MPEG2 file Chromium's fake camera plays in a loop."""
    h, w = rgb.shape[:2]
    yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
    path.write_bytes(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode() + b"FRAME\n" + yuv.tobytes())
    return path


@pytest.fixture(scope="module")
def api(base_settings, tmp_path_factory):
    """The upload API on real S3 and Kafka, over HTTP on a free port. The module's data dir
    (its key ring) is new each run and the fake camera's photo makes the same PDF each run:
    so its originals go to a bucket of its own, never the shared one, where an earlier run's
    copy sealed under another key ring would turn every upload into "stored again"."""
    data = tmp_path_factory.mktemp("data")
    prefix = new_prefix()  # the module's topics: deleted when it ends
    settings = base_settings.model_copy(update={
        "data_dir": data, "topics": base_settings.topics.model_copy(update={"prefix": prefix}),
        "s3": base_settings.s3.model_copy(update={"bucket": f"t-mobile-{uuid.uuid4().hex[:12]}"})})
    try:
        yield from _serve(settings, data)
    finally:
        delete_prefixed(settings, prefix)
        _drop_bucket(settings)


def _drop_bucket(settings) -> None:
    """Every version of the module's bucket, then the bucket."""
    from connectors.objectstore.s3 import S3ObjectStore

    client, bucket = S3ObjectStore.from_settings(settings, ensure_bucket=False)._client, settings.s3.bucket
    if not client.bucket_exists(bucket):
        return
    for obj in list(client.list_objects(bucket, recursive=True, include_version=True)):
        client.remove_object(bucket, obj.object_name, version_id=obj.version_id)
    client.remove_bucket(bucket)


def _serve(settings, data: Path):
    from ops.stack.topics import ensure_topics

    ensure_topics(settings)
    store, producer = open_store(settings), KafkaRecordSink.from_settings(settings)
    keys = ApiKeyStore(data / "apikeys.json")
    app = create_app(settings, store=store, producer=producer, keys=keys)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", keys, store
    server.should_exit = True
    thread.join(10)
    producer.close()


@pytest.fixture(scope="module")
def camera(tmp_path_factory) -> Path:
    return write_y4m(phone_photo(SAMPLE), tmp_path_factory.mktemp("camera") / "invoice-photo.y4m")


@pytest.fixture
def phone(camera, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={camera}"])
        # bypass_csp: Playwright evaluates its waits as strings; the CSP itself is checked below.
        context = browser.new_context(permissions=["camera"], viewport={"width": 412, "height": 915}, bypass_csp=True)
        yield context
        browser.close()


def open_capture_page(context, url: str, key: str):
    page = context.new_page()
    page.goto(f"{url}/capture/")
    page.wait_for_function("document.body.dataset.ready === 'true' && document.body.dataset.camera === 'ready'")
    page.fill("#api-key", key)
    page.dispatch_event("#api-key", "change")
    page.wait_for_function("document.querySelector('#camera').videoWidth > 0")
    return page


def take_pages(page, n: int) -> list[dict]:
    for i in range(n):
        page.click("#shoot")
        page.wait_for_function(f"document.querySelectorAll('#pages img').length === {i + 1}", timeout=30_000)
    return page.eval_on_selector_all(
        "#pages img", "imgs => imgs.map(i => ({w: +i.dataset.width, h: +i.dataset.height, found: i.dataset.found}))")


def stored_pdf(store, sha256: str) -> pdfium.PdfDocument:
    ref = store.exists(original_key(sha256))
    assert ref is not None, "the upload is not in the object store"
    return pdfium.PdfDocument(store.get(ref))


def test_a_tilted_phone_photo_becomes_an_upright_page_the_pipeline_reads(api, phone):
    url, keys, store = api
    page = open_capture_page(phone, url, keys.create("phones", scopes=("ingest",))[1])
    shots = take_pages(page, 2)
    # The sheet was found in both shots and flattened to the letter page's proportions.
    assert [s["found"] for s in shots] == ["true", "true"]
    assert all(abs(s["w"] / s["h"] - LETTER) < 0.02 for s in shots), shots
    with page.expect_response(lambda r: r.url.endswith("/v1/documents") and r.request.method == "POST") as answer:
        page.click("#send")
    assert answer.value.status == 201, answer.value.text()
    accepted = answer.value.json()
    page.wait_for_selector(f"#sent li[data-doc-id='{accepted['doc_id']}']")

    pdf = stored_pdf(store, accepted["sha256"])
    assert len(pdf) == 2
    image = np.asarray(pdf[0].render(scale=200 / 72).to_pil().convert("RGB"))
    from streams.ocr.preprocess import estimate_skew

    assert abs(estimate_skew(image)) < 1.0  # deskewed on the phone, not left to the server
    # The pipeline's own OCR reads the invoice number and the customer off the flattened page.
    from inkstream.settings import load_settings
    from streams.ocr.reader import DocumentReader

    [read] = DocumentReader.from_settings(load_settings().ocr).read(pdf_bytes(pdf))[:1]
    text = " ".join(line["text"] for line in read["lines"])
    assert "INV-2026-0348" in text and "Globex" in text, text


def pdf_bytes(pdf: pdfium.PdfDocument) -> bytes:
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_a_capture_made_offline_waits_in_the_outbox_and_is_sent_when_back_online(api, phone):
    url, keys, store = api
    page = open_capture_page(phone, url, keys.create("phones", scopes=("ingest",))[1])
    take_pages(page, 1)
    phone.set_offline(True)
    page.click("#send")
    page.wait_for_function("document.querySelector('#queued').textContent === '1'")
    assert page.locator("#sent li").count() == 0
    # The page itself still opens offline (service worker shell) and still holds the capture.
    page.reload()
    page.wait_for_function("document.body.dataset.ready === 'true'")
    page.wait_for_function("document.querySelector('#queued').textContent === '1'")
    with page.expect_response(lambda r: r.url.endswith("/v1/documents") and r.request.method == "POST",
                              timeout=30_000) as answer:
        phone.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
    assert answer.value.status == 201
    doc_id = answer.value.json()["doc_id"]
    page.wait_for_selector(f"#sent li[data-doc-id='{doc_id}']")
    assert page.inner_text("#queued") == "0"
    assert len(stored_pdf(store, answer.value.json()["sha256"])) == 1


def test_a_refused_upload_stays_visible_with_its_reason(api, phone):
    url, keys, _ = api
    page = open_capture_page(phone, url, "ink_not_a_real_key")
    take_pages(page, 1)
    page.click("#send")
    page.wait_for_selector("#refused li")
    assert "unknown or revoked API key" in page.inner_text("#refused li")
    assert page.inner_text("#queued") == "0"


def test_the_page_is_installable_and_locked_down(api):
    import httpx

    url, _, _ = api
    manifest = httpx.get(f"{url}/capture/manifest.json").json()
    assert manifest["display"] == "standalone" and manifest["icons"]
    index = httpx.get(f"{url}/capture/")
    assert "frame-ancestors 'none'" in index.headers["content-security-policy"]
    assert "camera=(self)" in index.headers["permissions-policy"]
    assert httpx.get(f"{url}/capture/__init__.py").status_code == 404
