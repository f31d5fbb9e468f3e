"""The vendors' documented request examples (wires.md §1.1, §2.2), shared by the translation tests."""

from __future__ import annotations

WEATHER = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}

OPENAI_TOOLS = {
    "model": "any", "stream": True, "temperature": 0.2, "top_p": 0.9, "max_tokens": 300, "stop": ["END"], "seed": 7,
    "parallel_tool_calls": True, "tool_choice": "auto",
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather by city",
                                                "parameters": WEATHER}}],
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris and Rome?"},
                                     {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO",
                                                                         "detail": "low"}}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_a1", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
            {"id": "call_a2", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\": \"Rome\"}"}}]},
        {"role": "tool", "tool_call_id": "call_a1", "content": "18C, clear"},
        {"role": "tool", "tool_call_id": "call_a2", "content": "24C, sunny"},
        {"role": "user", "content": "Thanks. Which is warmer?"},
    ],
}

ANTHROPIC_TOOLS = {
    "model": "claude-x", "max_tokens": 1024, "stream": True, "temperature": 0.5, "stop_sequences": ["END"],
    "system": "Be brief.",
    "tools": [{"name": "get_weather", "description": "Weather by city", "input_schema": WEATHER}],
    "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
    "messages": [
        {"role": "user", "content": [
            {"type": "text", "text": "Weather in Paris and Rome?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}}]},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "toolu_02", "name": "get_weather", "input": {"city": "Rome"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01", "content": "18C, clear"},
            {"type": "tool_result", "tool_use_id": "toolu_02", "content": "unavailable", "is_error": True},
            {"type": "text", "text": "Which is warmer?"}]},
    ],
}
