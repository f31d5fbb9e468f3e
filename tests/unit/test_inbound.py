"""Inbound OpenAI and Anthropic request bodies read as the canonical request, and written back out.

The examples are the vendors' documented shapes (wires.md §1.1, §2.2): a body read by
`parse_*_request` and written again by the same API's adapter must come back as it was sent, and a
body read from one API must be written in the other's documented form.
"""

from __future__ import annotations

import copy

import pytest

from tui.engine.conversation import ImagePart, TextPart, ToolChoice
from tui.engine.failures import RequestError
from tui.engine.provider.anthropic import AnthropicAdapter
from tui.engine.provider.inbound import parse_anthropic_request, parse_openai_request
from tui.engine.provider.openai import OpenAIAdapter

from wire_examples import ANTHROPIC_TOOLS, OPENAI_TOOLS, WEATHER


def test_openai_body_round_trips_through_the_canonical_request() -> None:
    request = parse_openai_request(copy.deepcopy(OPENAI_TOOLS))
    body = OpenAIAdapter("http://x/v1").build_body("any", request, None)
    assert body["messages"] == OPENAI_TOOLS["messages"]
    assert body["tools"] == OPENAI_TOOLS["tools"]
    for key in ("temperature", "top_p", "max_tokens", "stop", "seed", "parallel_tool_calls", "tool_choice"):
        assert body[key] == OPENAI_TOOLS[key], key
    assert body["stream_options"] == {"include_usage": True}


def test_openai_request_reads_every_field() -> None:
    request = parse_openai_request(OPENAI_TOOLS)
    assert request.system == "Be brief."
    user = request.messages[1]
    assert user.content == (TextPart("Weather in Paris and Rome?"), ImagePart(url="data:image/png;base64,iVBO",
                                                                            detail="low"))
    assert [c.input() for c in request.messages[2].tool_calls] == [{"city": "Paris"}, {"city": "Rome"}]
    assert [(m.role, m.tool_call_id) for m in request.messages[3:5]] == [("tool", "call_a1"), ("tool", "call_a2")]
    assert request.tool_choice == ToolChoice("auto") and request.stream is True and request.seed == 7


def test_openai_extra_fields_travel_only_as_openai_extras() -> None:
    body = {"model": "m", "messages": [{"role": "developer", "content": "Rules."}, {"role": "user", "content": "hi"}],
            "response_format": {"type": "json_object"}, "max_completion_tokens": 50, "logprobs": True}
    request = parse_openai_request(body)
    assert request.messages[0].role == "system" and request.max_tokens == 50
    assert request.extra == {"openai": {"response_format": {"type": "json_object"}, "logprobs": True}}
    assert "response_format" not in AnthropicAdapter("https://api.anthropic.com").build_body("c", request, None)
    assert OpenAIAdapter("http://x").build_body("m", request, None)["response_format"] == {"type": "json_object"}


def test_anthropic_body_round_trips_through_the_canonical_request() -> None:
    request = parse_anthropic_request(copy.deepcopy(ANTHROPIC_TOOLS))
    body = AnthropicAdapter("https://api.anthropic.com").build_body("claude-x", request, None)
    for key in ("model", "max_tokens", "stream", "temperature", "stop_sequences", "system", "tools", "tool_choice",
                "messages"):
        assert body[key] == ANTHROPIC_TOOLS[key], key


def test_anthropic_request_reads_results_before_text_and_names_them() -> None:
    request = parse_anthropic_request(ANTHROPIC_TOOLS)
    roles = [m.role for m in request.messages]
    assert roles == ["system", "user", "assistant", "tool", "tool", "user"]
    first, second = request.messages[3], request.messages[4]
    assert (first.tool_call_id, first.name, first.is_error) == ("toolu_01", "get_weather", False)
    assert (second.tool_call_id, second.is_error) == ("toolu_02", True)
    assert request.parallel_tool_calls is False and request.tool_choice == ToolChoice("auto")
    assert request.messages[1].content[1] == ImagePart(data="/9j/4AAQ", media_type="image/jpeg")


def test_openai_tool_conversation_in_anthropic_form() -> None:
    request = parse_openai_request(OPENAI_TOOLS)
    body = AnthropicAdapter("https://api.anthropic.com/v1").build_body("claude-x", request, None)
    assert body["system"] == "Be brief." and "seed" not in body
    assert body["tool_choice"] == {"type": "auto"}
    assert body["tools"] == [{"name": "get_weather", "description": "Weather by city", "input_schema": WEATHER}]
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris and Rome?"},
                                     {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                                  "data": "iVBO"}}]},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "call_a1", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "call_a2", "name": "get_weather", "input": {"city": "Rome"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_a1", "content": "18C, clear"},
                                     {"type": "tool_result", "tool_use_id": "call_a2", "content": "24C, sunny"},
                                     {"type": "text", "text": "Thanks. Which is warmer?"}]},
    ]


def test_anthropic_limits_temperature_and_requires_max_tokens() -> None:
    request = parse_openai_request({"model": "m", "temperature": 1.7, "messages": [{"role": "user", "content": "hi"}]})
    body = AnthropicAdapter("https://api.anthropic.com").build_body("c", request, None)
    assert body["temperature"] == 1.0 and body["max_tokens"] == 4096
    assert AnthropicAdapter("https://api.anthropic.com").build_body("c", request, 900)["max_tokens"] == 900


def test_anthropic_refuses_arguments_that_are_not_an_object() -> None:
    body = copy.deepcopy(OPENAI_TOOLS)
    body["messages"][2]["tool_calls"][0]["function"]["arguments"] = "{\"city\": "
    request = parse_openai_request(body)
    with pytest.raises(RequestError, match="not JSON"):
        AnthropicAdapter("https://api.anthropic.com").build_body("c", request, None)


@pytest.mark.parametrize(("parse", "body", "where"), [
    (parse_openai_request, {"messages": []}, "messages"),
    (parse_openai_request, {"messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
    (parse_openai_request, {"messages": [{"role": "user", "content": [{"type": "input_audio"}]}]},
     "messages[0].content[0].type"),
    (parse_openai_request, {"messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id"),
    (parse_openai_request, {"messages": [{"role": "user", "content": "x"}], "temperature": "hot"}, "temperature"),
    (parse_anthropic_request, {"messages": [{"role": "system", "content": "x"}]}, "messages[0].role"),
    (parse_anthropic_request, {"messages": [{"role": "user", "content": "x"}],
                               "tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "tools[0].type"),
    (parse_anthropic_request, {"messages": [{"role": "user", "content": [{"type": "document"}]}]},
     "messages[0].content[0].type"),
])
def test_what_cannot_be_carried_is_refused_with_its_field(parse, body, where) -> None:
    with pytest.raises(RequestError) as caught:
        parse(body)
    assert str(caught.value).startswith(where + ":")


def test_anthropic_thinking_and_extras_stay_anthropic() -> None:
    body = {"model": "c", "max_tokens": 64, "thinking": {"type": "enabled", "budget_tokens": 1024}, "top_k": 5,
            "messages": [{"role": "user", "content": "hi"},
                         {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm", "signature": "s"},
                                                           {"type": "text", "text": "Hello"}]}]}
    request = parse_anthropic_request(body)
    assert request.messages[1].content == "Hello"
    assert request.extra == {"anthropic": {"thinking": {"type": "enabled", "budget_tokens": 1024}, "top_k": 5}}
    assert "top_k" not in OpenAIAdapter("http://x").build_body("m", request, None)
