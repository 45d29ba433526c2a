"""The upstream for the benchmarks: GET /api/items/{id} answers a small JSON object.

Run as its own process so that its CPU time is not counted against the server measured.
Usage: python bench/bench_upstream.py PORT
"""

import sys

from aiohttp import web


async def get_item(request: web.Request) -> web.Response:
    if request.headers.get("Authorization") != "Bearer bench-upstream-token":
        return web.json_response({"error": "unauthorized"}, status=401)
    return web.json_response({"id": request.match_info["item_id"], "name": "widget", "quantity": 3})


def main() -> None:
    app = web.Application()
    app.router.add_get("/api/items/{item_id}", get_item)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
