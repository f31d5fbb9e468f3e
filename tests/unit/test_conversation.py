"""The canonical request's own rules: text of any content, parts, images as bytes, tool-call assembly."""

from __future__ import annotations

import pytest

from tui.engine.conversation import (
    ChatMessage, ChatRequest, ImagePart, TextPart, ToolCall, ToolCallAssembler, ToolCallDelta, conversation,
)


def test_text_of_a_string_and_of_parts() -> None:
    assert ChatMessage("user", "hi").text == "hi"
    mixed = ChatMessage("user", (TextPart("a "), ImagePart(url="https://x/y.png"), TextPart("b")))
    assert mixed.text == "a b" and mixed.has_images() and not ChatMessage("user", "x").has_images()
    assert ChatMessage("user", "").parts == () and ChatMessage("user", "z").parts == (TextPart("z"),)


def test_openai_shape_of_tool_calls_and_results() -> None:
    call = ChatMessage("assistant", "", tool_calls=(ToolCall("call_1", "get_weather", '{"city":"Paris"}'),))
    assert call.to_json() == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]}
    result = ChatMessage("tool", "18C", tool_call_id="call_1", name="get_weather")
    assert result.to_json() == {"role": "tool", "content": "18C", "tool_call_id": "call_1", "name": "get_weather"}


def test_image_as_base64_from_a_data_url_or_bytes_and_not_from_a_link() -> None:
    assert ImagePart(url="data:image/jpeg;base64,QUJD").as_base64() == ("image/jpeg", "QUJD")
    assert ImagePart(data="QUJD", media_type="image/webp").as_base64() == ("image/webp", "QUJD")
    assert ImagePart(url="https://example.com/cat.png").as_base64() is None
    assert ChatMessage("user", (ImagePart(data="QUJD"),)).to_json()["content"] == [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,QUJD"}}]


def test_tool_call_input_is_an_object_or_a_clear_error() -> None:
    assert ToolCall("c", "f", '{"a": 1}').input() == {"a": 1}
    assert ToolCall("c", "f", "").input() == {}
    with pytest.raises(ValueError, match="not JSON"):
        ToolCall("c", "f", '{"a": ').input()
    with pytest.raises(ValueError, match="not a JSON object"):
        ToolCall("c", "f", "[1]").input()


def test_streamed_fragments_assemble_in_call_order() -> None:
    calls = ToolCallAssembler()
    assert not calls
    for delta in [ToolCallDelta(1, "call_b", "time", ""), ToolCallDelta(0, "call_a", "weather", '{"city":'),
                  ToolCallDelta(0, arguments='"Paris"}'), ToolCallDelta(1, arguments="{}")]:
        calls.add(delta)
    assert calls.calls() == (ToolCall("call_a", "weather", '{"city":"Paris"}'), ToolCall("call_b", "time", "{}"))


def test_system_prompt_gathered_and_added_once() -> None:
    request = ChatRequest([ChatMessage("system", "be brief"), ChatMessage("user", "hi"), ChatMessage("system", "no")])
    assert request.system == "be brief\n\nno" and [m.role for m in request.turns()] == ["user"]
    assert [m.role for m in conversation("hi", system="s")] == ["system", "user"]
    assert len(conversation([ChatMessage("system", "x"), ChatMessage("user", "y")], system="s")) == 2
