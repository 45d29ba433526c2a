"""The demo upstream API that `make run` starts on loopback: an in-memory inventory behind a bearer token."""

from __future__ import annotations

import hmac
import itertools
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["create_demo_upstream"]

SEED_ITEMS = (
    {"name": "blue widget", "quantity": 12, "tags": ["widget"]},
    {"name": "red widget", "quantity": 3, "tags": ["widget", "sale"]},
    {"name": "green gadget", "quantity": 0, "tags": ["gadget"]},
)


def create_demo_upstream(bearer_token: str) -> Starlette:
    items: dict[str, dict[str, Any]] = {}
    ids = (f"item-{number}" for number in itertools.count(1))
    for seed in SEED_ITEMS:
        item_id = next(ids)
        items[item_id] = {"id": item_id, **seed}

    def authorized(request: Request) -> bool:
        expected = f"Bearer {bearer_token}".encode()
        return hmac.compare_digest(request.headers.get("authorization", "").encode(), expected)

    def unauthorized() -> Response:
        return JSONResponse({"error": "missing or wrong bearer token"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    async def list_items(request: Request) -> Response:
        if not authorized(request):
            return unauthorized()
        query = request.query_params.get("q", "").lower()
        try:
            limit = int(request.query_params.get("limit", "10"))
        except ValueError:
            return JSONResponse({"error": "limit must be an integer"}, status_code=400)
        matches = [item for item in reversed(items.values()) if query in item["name"].lower()]
        return JSONResponse({"items": matches[:limit], "total": len(matches)})

    async def create_item(request: Request) -> Response:
        if not authorized(request):
            return unauthorized()
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
            return JSONResponse({"error": "name is required"}, status_code=422)
        item_id = next(ids)
        items[item_id] = {"id": item_id, "name": body["name"], "quantity": int(body.get("quantity", 0)), "tags": list(body.get("tags", []))}
        return JSONResponse(items[item_id], status_code=201)

    async def get_item(request: Request) -> Response:
        if not authorized(request):
            return unauthorized()
        item = items.get(request.path_params["item_id"])
        if item is None:
            return JSONResponse({"error": "no item has this id"}, status_code=404)
        return JSONResponse(item)

    async def items_route(request: Request) -> Response:
        return await (create_item(request) if request.method == "POST" else list_items(request))

    return Starlette(routes=[
        Route("/items", items_route, methods=["GET", "POST"]),
        Route("/items/{item_id}", get_item),
    ])
