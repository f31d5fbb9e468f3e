"""The canonical request in Gemini's and Anthropic's shapes: the rules each API imposes (wires.md §4.2)."""

from __future__ import annotations

import copy
import logging

import pytest

from tui.engine.conversation import ChatMessage, ChatRequest, ImagePart, TextPart, ToolCall, ToolChoice, ToolSpec
from tui.engine.failures import RequestError
from tui.engine.provider.anthropic import AnthropicAdapter
from tui.engine.provider.anthropic import parse_usage as anthropic_usage
from tui.engine.provider.gemini import GeminiAdapter
from tui.engine.provider.gemini import parse_usage as gemini_usage
from tui.engine.provider.gemini_wire import PLACEHOLDER_SIGNATURE, clean_schema
from tui.engine.provider.inbound import parse_openai_request

from wire_examples import OPENAI_TOOLS, WEATHER

GEMINI = GeminiAdapter("https://generativelanguage.googleapis.com")
ANTHROPIC = AnthropicAdapter("https://api.anthropic.com")


def test_openai_tool_conversation_in_gemini_form() -> None:
    body = GEMINI.build_body("gemini-x", parse_openai_request(OPENAI_TOOLS), None)
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["generationConfig"] == {"temperature": 0.2, "topP": 0.9, "maxOutputTokens": 300, "seed": 7,
                                        "stopSequences": ["END"]}
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    assert body["tools"] == [{"functionDeclarations": [{"name": "get_weather", "description": "Weather by city",
                                                        "parameters": WEATHER}]}]
    user, model, results = body["contents"]
    assert user == {"role": "user", "parts": [{"text": "Weather in Paris and Rome?"},
                                              {"inlineData": {"mimeType": "image/png", "data": "iVBO"}}]}
    assert model == {"role": "model", "parts": [
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": PLACEHOLDER_SIGNATURE},
        {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}}]}
    # the results, matched to their calls by name, then the user's next words, in one user content
    assert results == {"role": "user", "parts": [
        {"functionResponse": {"name": "get_weather", "response": {"content": "18C, clear"}}},
        {"functionResponse": {"name": "get_weather", "response": {"content": "24C, sunny"}}},
        {"text": "Thanks. Which is warmer?"}]}


def test_gemini_paths_for_each_base_url_form() -> None:
    for base in ("https://generativelanguage.googleapis.com", "https://generativelanguage.googleapis.com/v1beta/"):
        adapter = GeminiAdapter(base)
        assert adapter.base + adapter.chat_path("models/gemini-x", True) == (
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-x:streamGenerateContent?alt=sse")
        assert adapter.chat_path("gemini-x", False) == "/models/gemini-x:generateContent"
    for base in ("https://api.anthropic.com", "https://api.anthropic.com/v1"):
        adapter = AnthropicAdapter(base)
        assert adapter.base + adapter.chat_path("c", True) == "https://api.anthropic.com/v1/messages"


def test_schemas_are_cleaned_for_gemini() -> None:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "additionalProperties": False, "$defs": {"Unit": {"type": "string", "enum": ["C", "F"]}},
              "properties": {"city": {"type": ["string", "null"]}, "unit": {"$ref": "#/$defs/Unit"},
                             "days": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 1}},
              "required": ["city"]}
    assert clean_schema(schema) == {"type": "object", "required": ["city"], "properties": {
        "city": {"type": "string", "nullable": True}, "unit": {"type": "string", "enum": ["C", "F"]},
        "days": {"type": "integer", "nullable": True, "default": 1}}}


def test_gemini_tool_choice_of_one_tool() -> None:
    request = ChatRequest([ChatMessage("user", "go")], tools=(ToolSpec("f"),), tool_choice=ToolChoice("tool", "f"))
    assert GEMINI.build_body("g", request, None)["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f"]}}


def test_gemini_refuses_what_it_cannot_carry() -> None:
    unnamed = ChatRequest([ChatMessage("user", "go"), ChatMessage("tool", "42", tool_call_id="lost")])
    with pytest.raises(RequestError, match="function name"):
        GEMINI.build_body("g", unnamed, None)
    odd_image = ChatRequest([ChatMessage("user", (TextPart("what is it?"), ImagePart(url="https://x/img")))])
    with pytest.raises(RequestError, match="image by URL"):
        GEMINI.build_body("g", odd_image, None)
    png = ChatRequest([ChatMessage("user", (ImagePart(url="https://x/cat.png"),))])
    assert GEMINI.build_body("g", png, None)["contents"][0]["parts"] == [
        {"fileData": {"mimeType": "image/png", "fileUri": "https://x/cat.png"}}]


def test_anthropic_drops_seed_and_blank_stops_and_declares_tools_from_history(caplog) -> None:
    call = ToolCall("toolu_1", "lookup", '{"q": "x"}')
    request = ChatRequest([ChatMessage("user", "find x"), ChatMessage("assistant", "", tool_calls=(call,)),
                           ChatMessage("tool", "found", tool_call_id="toolu_1"), ChatMessage("assistant", "Done.  ")],
                          seed=3, stop=("END", "  "))
    with caplog.at_level(logging.DEBUG, logger="modelfallback.anthropic"):
        body = ANTHROPIC.build_body("c", request, None)
    assert "seed" not in body and body["stop_sequences"] == ["END"]
    assert any("seed dropped" in r.getMessage() for r in caplog.records)
    assert body["tools"] == [{"name": "lookup", "input_schema": {"type": "object"}}]
    assert body["messages"][-1] == {"role": "assistant", "content": [{"type": "text", "text": "Done."}]}
    assert body["messages"][2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "found"}]}


def test_parallel_switch_per_api() -> None:
    request = ChatRequest([ChatMessage("user", "go")], tools=(ToolSpec("f"),), parallel_tool_calls=False)
    assert ANTHROPIC.build_body("c", request, None)["tool_choice"] == {"type": "auto",
                                                                       "disable_parallel_tool_use": True}
    assert "parallel_tool_calls" not in str(GEMINI.build_body("g", request, None))
    required = copy.copy(request)
    required.tool_choice = ToolChoice("required")
    assert ANTHROPIC.build_body("c", required, None)["tool_choice"] == {"type": "any",
                                                                        "disable_parallel_tool_use": True}


def test_usage_counts_every_input_token() -> None:
    usage = anthropic_usage({"input_tokens": 120, "output_tokens": 41, "cache_creation_input_tokens": 10,
                             "cache_read_input_tokens": 2048})
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (2178, 41, 2219)
    assert (usage.cache_read_tokens, usage.cache_write_tokens) == (2048, 10)
    usage = gemini_usage({"promptTokenCount": 42, "candidatesTokenCount": 7, "thoughtsTokenCount": 30,
                          "cachedContentTokenCount": 8, "totalTokenCount": 79})
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens, usage.cache_read_tokens) == (
        42, 37, 79, 8)
