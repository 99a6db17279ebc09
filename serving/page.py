"""The web page and the catalog it shows: /, /api/products, /images/<sha256>, /cutouts/<sha256>.png."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from prodseg.web.errors import SHA256, documented
from prodseg.web.headers import page_csp
from serving import device
from serving.api import cut_out
from serving.gallery import Gallery
from serving.quality import class_labels

HERE = Path(__file__).resolve().parent
# The page runs the device runtime's WebAssembly too (serving.device).
PAGE_CSP = page_csp(device.SCRIPT_SRC)
templates = Jinja2Templates(directory=HERE / "templates")  # autoescaping on for .html

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request):
    max_upload_bytes = request.app.state.settings.config.serve.max_upload_bytes
    page = templates.TemplateResponse(request, "index.html", {"max_upload_mb": max_upload_bytes / 1e6,
                                                              "import_map": device.IMPORT_MAP})
    page.headers["Content-Security-Policy"] = PAGE_CSP
    return page


@router.get("/api/products", summary="The crawled products shown in the gallery")
def products(request: Request,
             category: str | None = Query(None, description="a product class; empty for all")) -> dict:
    gallery: Gallery = request.app.state.gallery
    # People's words for the classes of the served model and of the catalog (a class only one of them has too).
    names = {*request.app.state.model.predictor.classes.products, *gallery.categories()}
    return {"categories": gallery.categories(), "class_labels": class_labels(sorted(names)),
            "products": gallery.listing(category)}


def catalog_photo(request: Request, sha256: str):
    found = request.app.state.gallery.get(sha256)
    if found is None:
        raise HTTPException(404, f"no catalog photo {sha256}")
    return found


@router.get("/images/{sha256}", summary="A catalog photo", response_class=FileResponse,
            responses=documented(404, 422))
def image(request: Request, sha256: str = PathParam(pattern=SHA256)):
    return FileResponse(catalog_photo(request, sha256)[1].path, headers={"Cache-Control": "max-age=3600"})


@router.get("/cutouts/{sha256}.png", summary="A catalog photo's product cut out (cropped); warnings as /segment's, "
            "plus a class other than the catalog's", response_class=Response,
            responses=documented(400, 404, 422, 503))
async def catalog_cutout(request: Request, sha256: str = PathParam(pattern=SHA256)):
    product, photo = catalog_photo(request, sha256)
    data = await run_in_threadpool(photo.path.read_bytes)
    return await cut_out(request, data, None, True, product.class_name)
