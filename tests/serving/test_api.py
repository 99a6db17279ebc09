"""The REST API on a real `prodseg serve` process (uvicorn on 127.0.0.1) with a tiny int8 model."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from prodseg.rle import decode_rle
from prodseg.instances import box_from_mask
from release.browser import fixed_batch
from serving.device import IMPORT_MAP, IMPORT_MAP_HASH
from tests.serving.helpers import DEMO, PRODUCTS, encoded, photo, rss_mb, serve_process

MAX_UPLOAD = 2_000_000


@pytest.fixture(scope="module")
def server(models_dir, catalog_data, tmp_path_factory):
    """`python -m commands.cli serve` in its own process; yields (base URL, pid)."""
    with serve_process(tmp_path_factory.mktemp("serve"), models_dir / "dark-int8.tflite", catalog_data,
                       max_upload_bytes=MAX_UPLOAD) as served:
        yield served


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server[0], timeout=30) as client:
        yield client


def post(client, path: str, data: bytes, field: str = "image", **form):
    return client.post(path, files={field: ("upload", data, "application/octet-stream")}, data=form)


def drawn_box(width: int, height: int, box) -> list[int]:
    x0, y0, x1, y1 = box
    return [round(x0 * width), round(y0 * height), round(x1 * width), round(y1 * height)]


def test_predict_finds_the_product_with_box_area_and_rle_in_input_pixels(client):
    box = (0.25, 0.2, 0.7, 0.85)
    response = post(client, "/predict", encoded(photo(320, 240, box)))
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["image"] == {"width": 320, "height": 240}
    assert body["model"] == {"name": "dark-int8.tflite", "version": None, "variant": "tflite"}
    [found] = body["predictions"]
    assert found["label"] == "couch" and found["class_id"] == 1 and 0.9 < found["score"] <= 1
    assert np.abs(np.array(found["box"]) - drawn_box(320, 240, box)).max() <= 4  # the model sees 64x64
    mask = decode_rle(found["mask"])
    assert mask.shape == (240, 320)
    assert mask.sum() == found["area"] and list(box_from_mask(mask)) == found["box"]
    assert abs(found["area"] - 0.45 * 320 * 0.65 * 240) < 0.05 * found["area"]


def test_segment_png_alpha_is_the_rle_mask_keeps_opaque_pixels_and_cleans_edge_colours(client):
    image = photo(200, 150, (0.1, 0.3, 0.6, 0.9))
    data = encoded(image)  # PNG: lossless, so the cut-out's colours can be compared exactly
    mask = decode_rle(post(client, "/predict", data).json()["predictions"][0]["mask"])
    response = post(client, "/segment", data)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    cut = Image.open(io.BytesIO(response.content))
    assert cut.mode == "RGBA" and cut.size == (200, 150)
    rgba = np.asarray(cut)
    assert np.array_equal(rgba[..., 3] >= 128, mask)
    alpha = rgba[..., 3]
    opaque, edge = alpha == 255, (alpha > 0) & (alpha < 255)
    assert np.array_equal(rgba[..., :3][opaque], np.asarray(image)[opaque])
    # Edge pixels take the product's estimated colour: the white studio shows through less than in the photo.
    assert rgba[..., :3][edge].mean() < np.asarray(image)[edge].mean() - 20
    # A smoothed edge of a few model pixels (the model sees 64x64: ~3 input pixels each), no more.
    assert ((alpha > 0) & (alpha < 255)).any()
    assert (alpha[ndimage.binary_erosion(mask, iterations=8)] == 255).all()
    assert (alpha[~ndimage.binary_dilation(mask, iterations=8)] == 0).all()
    assert response.headers["x-label"] == "couch"
    assert response.headers["x-box"] == ",".join(map(str, box_from_mask(mask)))


def test_segment_crop_and_label(client):
    data = encoded(photo(200, 150, (0.1, 0.3, 0.6, 0.9)))
    cropped = post(client, "/segment", data, crop="true", label="couch")
    assert cropped.status_code == 200
    x0, y0, x1, y1 = map(int, cropped.headers["x-crop-box"].split(","))
    assert Image.open(io.BytesIO(cropped.content)).size == (x1 - x0, y1 - y0)
    bx0, by0, bx1, by1 = map(int, cropped.headers["x-box"].split(","))
    assert abs((bx1 - bx0) - 100) <= 4 and abs((by1 - by0) - 90) <= 4  # the drawn 100x90 product
    # The crop keeps the product, its soft edge and a small margin, not the rest of the photo.
    assert 0 <= bx0 - x0 <= 15 and 0 <= by0 - y0 <= 15 and 0 <= x1 - bx1 <= 15 and 0 <= y1 - by1 <= 15
    missing = post(client, "/segment", data, label="vase")
    assert missing.status_code == 422 and missing.json()["error"] == "no vase found in the image (found: couch)"


def test_parallel_requests_each_get_their_own_answer(client):
    boxes = [(0.1 + 0.05 * i, 0.2, 0.5 + 0.05 * i, 0.8) for i in range(8)]

    def box_of(box):
        return post(client, "/predict", encoded(photo(160, 120, box))).json()["predictions"][0]["box"]

    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(box_of, boxes))
    for got, box in zip(found, boxes):
        assert np.abs(np.array(got) - drawn_box(160, 120, box)).max() <= 4


def big_png(width: int, height: int) -> bytes:
    """A valid greyscale PNG of width x height pixels in a few kB (zeros compress)."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    packer = zlib.compressobj(9)
    row = bytes(width + 1)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


BAD = {
    "non-image bytes": ({"data": b"%PDF-1.4 definitely not a photo" * 10}, 415, "not an image"),
    "zero-byte file": ({"data": b""}, 400, "empty (0 bytes)"),
    "truncated JPEG": ({"data": "truncated"}, 400, "truncated or corrupt"),
    "wrong field name": ({"data": "photo", "field": "file"}, 422, "field 'image' is required"),
    "60-megapixel image": ({"data": "60mp"}, 413, "60.0 megapixels"),
    "over the byte cap": ({"data": b"\xff" * (MAX_UPLOAD + 10)}, 413, "upload too large"),
    "unknown label": ({"data": "photo", "label": "spaceship"}, 400, "unknown label 'spaceship'"),
}


def bad_payload(spec) -> bytes:
    data = spec["data"]
    if data == "photo":
        return encoded(photo())
    if data == "truncated":
        noisy = Image.fromarray(np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8))
        jpeg = encoded(noisy, "JPEG", quality=90)
        return jpeg[: int(len(jpeg) * 0.6)]
    if data == "60mp":
        return big_png(7746, 7746)
    return data


@pytest.mark.parametrize("endpoint", ["/predict", "/segment"])
def test_bad_inputs_get_a_clear_4xx_json_error_and_memory_stays_bounded(client, server, endpoint):
    before = rss_mb(server[1], "VmHWM")
    for name, (spec, status, message) in BAD.items():
        if "label" in spec and endpoint == "/predict":
            continue
        form = {"label": spec["label"]} if "label" in spec else {}
        response = post(client, endpoint, bad_payload(spec), spec.get("field", "image"), **form)
        assert response.status_code == status, (name, response.text)
        body = response.json()
        assert body["success"] is False and message in body["error"], (name, body)
    # A decoded 60 MP image alone would take 180 MB (RGB); the header check refused it first.
    assert rss_mb(server[1], "VmHWM") - before < 60
    assert client.get("/health").json()["status"] == "ok"


def test_a_chunked_upload_over_the_cap_is_refused_while_streaming(client):
    boundary = "prodseg"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode()

    def body():  # no Content-Length: the server only learns the size by reading
        yield head
        for _ in range(5):
            yield b"\xff" * 1_000_000
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post("/predict", content=body(),
                           headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413 and "upload too large" in response.json()["error"]


@pytest.mark.parametrize("kind", ["animated GIF", "16-bit PNG", "CMYK JPEG", "EXIF-rotated JPEG"])
def test_odd_formats_are_converted_and_served(client, kind):
    image = photo(160, 120, (0.2, 0.3, 0.8, 0.9))
    if kind == "animated GIF":  # the first frame has the product, the second is blank
        buffer = io.BytesIO()
        image.save(buffer, "GIF", save_all=True, append_images=[Image.new("RGB", image.size, "white")], duration=80)
        data = buffer.getvalue()
    elif kind == "16-bit PNG":
        data = encoded(Image.fromarray(np.asarray(image.convert("L"), np.uint16) * 257))
    elif kind == "CMYK JPEG":
        data = encoded(image.convert("CMYK"), "JPEG", quality=95)
    else:  # stored 160x120; EXIF orientation 6 shows it turned 90 degrees clockwise, 120x160
        exif = Image.Exif()
        exif[0x0112] = 6
        data = encoded(image, "JPEG", quality=95, exif=exif.tobytes())
    response = post(client, "/predict", data)
    assert response.status_code == 200, response.text
    body = response.json()
    [found] = body["predictions"]
    assert found["label"] == "couch"
    if kind == "EXIF-rotated JPEG":  # stored (x, y) is shown at (119 - y, x)
        assert body["image"] == {"width": 120, "height": 160}
        assert np.abs(np.array(found["box"]) - [round(0.1 * 120), 32, round(0.7 * 120), 128]).max() <= 4
    else:
        assert body["image"] == {"width": 160, "height": 120}
        assert np.abs(np.array(found["box"]) - [32, 36, 128, 108]).max() <= 4


def test_health_model_and_openapi(client):
    assert client.get("/health").json() == {
        "status": "ok", "model": {"name": "dark-int8.tflite", "version": None, "variant": "tflite"}}
    model = client.get("/model").json()
    assert model["classes"] == list(DEMO.products) and model["class_labels"]["wine-glass"] == "Wine glass"
    assert model["classes_from"].endswith("classes.json")
    assert model["input_size"] == {"width": 64, "height": 64}
    assert model["file_bytes"] > 0 and model["workers"] >= 1 and model["aliases"] == []
    schema = client.get("/openapi.json").json()
    assert {"/predict", "/segment", "/health", "/model", "/reload"} <= set(schema["paths"])
    body_ref = schema["paths"]["/predict"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    assert "image" in schema["components"]["schemas"][body_ref.rsplit("/", 1)[-1]]["properties"]
    assert client.get("/docs").status_code == 200


def test_gallery_serves_catalog_photos_by_hash_only(client, catalog_data):
    listing = client.get("/api/products").json()
    assert listing["categories"] == sorted(c for _, _, c, _ in PRODUCTS)
    assert [p["title"] for p in listing["products"]] == [t for _, t, _, _ in PRODUCTS]
    vases = client.get("/api/products", params={"category": "vase"}).json()["products"]
    assert [p["id"] for p in vases] == ["p3"]
    product = vases[0]
    photo_bytes = client.get(product["image_url"]).content
    assert photo_bytes == (catalog_data / "raw" / "images" / f"{product['sha256']}.jpg").read_bytes()
    cut = client.get(product["cutout_url"])
    assert cut.status_code == 200 and Image.open(io.BytesIO(cut.content)).mode == "RGBA"
    assert client.get(f"/images/{'0' * 64}").status_code == 404
    assert client.get("/images/..%2F..%2Fetc%2Fpasswd").status_code in (404, 422)
    page = client.get("/")
    assert page.status_code == 200 and 'id="gallery"' in page.text
    # Scripts: the page's own, WebAssembly compiled (not JavaScript eval) and the one inline import map, by hash.
    script_src = [d for d in page.headers["content-security-policy"].split("; ") if d.startswith("script-src")]
    assert script_src == [f"script-src 'self' 'wasm-unsafe-eval' '{IMPORT_MAP_HASH}'"]
    assert f'<script type="importmap">{IMPORT_MAP}</script>' in page.text


def test_the_browser_gets_the_served_model_with_a_batch_of_one_at_a_versioned_url(client, models_dir):
    device = client.get("/model").json()["device"]
    served = fixed_batch((models_dir / "dark-int8.tflite").read_bytes())
    assert device["url"] == f"/model/files/{hashlib.sha256(served).hexdigest()[:16]}/dark-int8.tflite"
    assert device["bytes"] == len(served) and device["classes"][0] == "background"
    assert device["output_quantization"]["scale"] > 0  # int8: the page dequantizes the uint8 logits
    answer = client.get(device["url"])
    assert answer.content == served and "immutable" in answer.headers["cache-control"]
    assert client.get(device["url"].replace("/model/files/", "/model/files/0")).status_code == 404


def test_weak_cutouts_carry_their_reasons(client):
    """A product on a plain background: no warning. One running off three sides of the photo (a room-like
    "cut-out"): touches_border, in /segment's headers and /predict's instance. A catalog chair the model
    calls a couch: class_mismatch."""
    clean = encoded(photo(200, 150, (0.3, 0.3, 0.7, 0.8)))
    assert "x-cutout-warnings" not in post(client, "/segment", clean).headers
    assert post(client, "/predict", clean).json()["predictions"][0]["warnings"] == []

    edge = encoded(photo(200, 150, (0.0, 0.0, 1.0, 0.7)))
    response = post(client, "/segment", edge, crop="true")
    assert response.status_code == 200 and response.headers["x-cutout-warnings"] == "touches_border"
    assert "of the photo's edge" in response.headers["x-cutout-warning-text"]
    [found] = post(client, "/predict", edge).json()["predictions"]
    assert [w["code"] for w in found["warnings"]] == ["touches_border"] and found["warnings"][0]["text"]

    products = {p["id"]: p for p in client.get("/api/products").json()["products"]}
    chair = client.get(products["p2"]["cutout_url"])
    assert chair.headers["x-label"] == "couch" and chair.headers["x-cutout-warnings"] == "class_mismatch"
    assert chair.headers["x-cutout-warning-text"] == "the model saw a couch, the shop sells a chair"
    assert "x-cutout-warnings" not in client.get(products["p1"]["cutout_url"]).headers


def test_every_response_carries_the_security_headers(client):
    image = encoded(photo())
    responses = {
        "page": client.get("/"), "health": client.get("/health"), "static": client.get("/static/app.js"),
        "catalog photo": client.get(client.get("/api/products").json()["products"][0]["image_url"]),
        "cut-out": post(client, "/segment", image), "predict": post(client, "/predict", image),
        "415": post(client, "/predict", b"not an image"), "404": client.get("/nowhere"),
        "405": client.request("TRACE", "/health"), "docs": client.get("/docs"),
    }
    for name, response in responses.items():
        assert response.status_code < 500, name
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["x-frame-options"] == "DENY", name
        assert "frame-ancestors 'none'" in headers["content-security-policy"], name
        assert headers["referrer-policy"] == "no-referrer", name


@pytest.mark.parametrize("path, allowed", [("/", {"GET"}), ("/health", {"GET"}), ("/predict", {"POST"}),
                                           ("/static/app.js", {"GET", "HEAD"})])
def test_trace_is_refused_with_405_json_and_allow(client, path, allowed):
    response = client.request("TRACE", path, headers={"X-Secret": "echo me"})
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == allowed
    assert response.json() == {"success": False, "error": "Method Not Allowed"}
    assert "echo me" not in response.text


def test_openapi_lists_the_refusals_each_route_gives(client):
    paths = client.get("/openapi.json").json()["paths"]
    upload = {400, 408, 413, 415, 422, 503}
    expected = {("/predict", "post"): upload, ("/segment", "post"): upload, ("/reload", "post"): {503},
                ("/images/{sha256}", "get"): {404, 422}, ("/cutouts/{sha256}.png", "get"): {400, 404, 422, 503},
                ("/api/flag", "post"): {404, 422, 429, 507}}
    for (path, method), statuses in expected.items():
        responses = paths[path][method]["responses"]
        assert {int(s) for s in responses} - {200} == statuses, path
        for status in statuses:
            schema = responses[str(status)]["content"]["application/json"]["schema"]
            assert schema["$ref"].endswith("/ErrorBody"), (path, status)
            assert responses[str(status)]["description"], (path, status)
