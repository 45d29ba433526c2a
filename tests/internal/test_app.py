"""The internal API end to end: the client signs, hypercorn serves, the service stores."""

from __future__ import annotations

import asyncio

import pytest
from conftest import CURRENT_KEY, SPEC_V1, InternalApi, bundle, spec_text

from cast_gateway.internal.errors import RemoteAuthError, RemoteNotFoundError, RemoteRequestError


@pytest.mark.anyio
async def test_create_and_read_workspace(internal_api: InternalApi) -> None:
    async with internal_api.client() as client:
        created = await client.create_workspace("shop", bundle(), base_url="https://api.example.com")
        read = await client.get_workspace("shop")

    assert created["id"] == "shop"
    assert [tool["name"] for tool in created["tools"]] == ["listOrders", "getOrder"]
    assert read["base_url"] == "https://api.example.com"
    assert read["spec"]["files"] == ["api.yaml"]
    assert read["secrets"] == []
    assert internal_api.changes == ["shop"]
