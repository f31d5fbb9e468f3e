"""The vendors' own Python clients, pointed at the fault server (tests/integration/test_sdk_witness_*.py).

Each SDK is a witness: what the fault server (and so every test built on it) sends is parsed by
the vendor's own code, not only by ours. The SDKs are in the `test` extra only; none of them is
a runtime dependency. Retries are off, so one scripted behaviour is one request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anthropic
import openai
from faultserver import FaultServer
from google import genai
from google.genai import types

KEY = "sk-witness-key"
WEATHER = {"id": "call_w1", "name": "get_weather", "arguments": {"city": "Paris", "unit": "C"}}
TIME = {"id": "call_t2", "name": "get_time", "arguments": {"zone": "Europe/Paris"}}
TOOLS_OPENAI = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
TOOLS_ANTHROPIC = [{"name": "get_weather", "input_schema": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]
ASK = [{"role": "user", "content": "Weather in Paris?"}]


@asynccontextmanager
async def openai_client(server: FaultServer) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)
    try:
        yield client
    finally:
        await client.close()


@asynccontextmanager
async def anthropic_client(server: FaultServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(api_key=KEY, base_url=server.url, max_retries=0)
    try:
        yield client
    finally:
        await client.close()


@asynccontextmanager
async def gemini_client(server: FaultServer) -> AsyncIterator[Any]:
    """google-genai's async client (`client.aio`), with its own retries off."""
    options = types.HttpOptions(base_url=server.url, api_version="v1beta",
                                retry_options=types.HttpRetryOptions(attempts=1))
    client = genai.Client(api_key=KEY, http_options=options)
    try:
        yield client.aio
    finally:
        await client.aio.aclose()
