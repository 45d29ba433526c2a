"""The floor for the gateway benchmark: a bare low-level SDK server doing the same upstream call.

One tool, no client auth, no argument validation, no secret decryption, no audit: only
the SDK (stateful, JSON answers, as the gateway's default) and one aiohttp GET.
Usage: python bench/bare_sdk_server.py PORT UPSTREAM_URL
"""

import contextlib
import sys

import aiohttp
import anyio
import mcp_types as types
from hypercorn.asyncio import serve
from hypercorn.config import Config
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.applications import Starlette
from starlette.routing import Route

UPSTREAM = sys.argv[2]
TOOL = types.Tool(name="getItem", description="Get one item",
                  input_schema={"type": "object", "properties": {"itemId": {"type": "string"}}, "required": ["itemId"]})
state: dict[str, aiohttp.ClientSession] = {}


async def list_tools(ctx, params):  # type: ignore[no-untyped-def]
    return types.ListToolsResult(tools=[TOOL])


async def call_tool(ctx, params):  # type: ignore[no-untyped-def]
    item_id = params.arguments["itemId"]
    async with state["http"].get(f"{UPSTREAM}/api/items/{item_id}", headers={"Authorization": "Bearer bench-upstream-token"}) as response:
        body = await response.json()
    return types.CallToolResult(content=[types.TextContent(text=str(body))], structured_content=body)


server = Server("bare", on_list_tools=list_tools, on_call_tool=call_tool, get_tool_input_schema=lambda name: TOOL.input_schema)
manager = StreamableHTTPSessionManager(server, json_response=True)


class Endpoint:
    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        await manager.handle_request(scope, receive, send)


@contextlib.asynccontextmanager
async def lifespan(app):  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as http, manager.run():
        state["http"] = http
        yield


async def main() -> None:
    config = Config()
    config.bind = [f"127.0.0.1:{sys.argv[1]}"]
    config.accesslog = None
    await serve(Starlette(lifespan=lifespan, routes=[Route("/mcp", Endpoint())]), config)


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        anyio.run(main)
