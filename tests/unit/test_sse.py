"""The incremental SSE parser: splits anywhere, line-end styles, comments, garbage."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.engine.provider.sse import SSEComment, SSEEvent, SSEItem, SSEParser


def parse(*chunks: bytes, max_line: int | None = None) -> list[SSEItem]:
    parser = SSEParser() if max_line is None else SSEParser(max_line=max_line)
    out: list[SSEItem] = []
    for chunk in chunks:
        out += parser.feed(chunk)
    return out + parser.close()


SAMPLE = (
    b": OPENROUTER PROCESSING\r\n\r\n"
    b'data: {"choices":[{"delta":{"content":"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"}}]}\r\n\r\n'
    b"event: error\r\ndata:{\"error\":1}\r\n\r\n"
    b"data: line one\ndata: line two\n\n"
    b"data: cr only\r\r"
    b"data: [DONE]\n\n"
)
SAMPLE_ITEMS = [
    SSEComment("OPENROUTER PROCESSING"),
    SSEEvent('{"choices":[{"delta":{"content":"héllo € 😀"}}]}'),
    SSEEvent('{"error":1}', event="error"),
    SSEEvent("line one\nline two"),
    SSEEvent("cr only"),
    SSEEvent("[DONE]"),
]


def test_whole_sample() -> None:
    assert parse(SAMPLE) == SAMPLE_ITEMS


def test_split_at_every_byte_offset() -> None:
    # Includes splits inside multi-byte UTF-8 sequences and between \r and \n.
    for i in range(len(SAMPLE) + 1):
        assert parse(SAMPLE[:i], SAMPLE[i:]) == SAMPLE_ITEMS, f"split at {i}"


def test_split_at_every_pair_of_offsets() -> None:
    for i in range(0, len(SAMPLE) + 1, 3):
        for j in range(i, len(SAMPLE) + 1, 5):
            assert parse(SAMPLE[:i], SAMPLE[i:j], SAMPLE[j:]) == SAMPLE_ITEMS, f"split at {i}, {j}"


def test_byte_by_byte() -> None:
    assert parse(*[SAMPLE[i:i + 1] for i in range(len(SAMPLE))]) == SAMPLE_ITEMS


def test_data_with_and_without_space() -> None:
    assert parse(b"data:a\n\ndata: b\n\ndata:  c\n\n") == [SSEEvent("a"), SSEEvent("b"), SSEEvent(" c")]


def test_crlf_split_between_cr_and_lf_does_not_make_a_blank_line() -> None:
    # If \r\n split across chunks were read as two line ends, "one" and "two" would be two events.
    items = parse(b"data: one\r", b"\ndata: two\r", b"\n\r\n")
    assert items == [SSEEvent("one\ntwo")]


def test_comment_is_reported_not_dispatched_as_data() -> None:
    items = parse(b":\n\n: keep-alive \n\ndata: x\n\n")
    assert items == [SSEComment(""), SSEComment("keep-alive"), SSEEvent("x")]


def test_event_type_and_id_and_unknown_fields() -> None:
    items = parse(b"event: error\nid: 7\nretry: 100\nfoo: bar\ndata: {}\n\ndata: next\n\n")
    assert items == [SSEEvent("{}", event="error", id="7"), SSEEvent("next", id="7")]


def test_blank_lines_without_data_dispatch_nothing() -> None:
    assert parse(b"\n\n\r\n\revent: x\n\n") == []


def test_field_without_colon_and_empty_data() -> None:
    assert parse(b"data\n\n") == [SSEEvent("")]


def test_bom_at_start_is_skipped_once() -> None:
    assert parse(b"\xef\xbb", b"\xbfdata: a\n\n") == [SSEEvent("a")]
    # Only a leading BOM is skipped; a later one is part of the field name, so that line is ignored.
    assert parse(b"\xef\xbb\xbfdata: a\n\n\xef\xbb\xbfdata: b\n\n") == [SSEEvent("a")]


def test_unterminated_last_event_is_flushed_at_close() -> None:
    assert parse(b"data: [DONE]") == [SSEEvent("[DONE]")]
    assert parse(b"data: [DONE]\n") == [SSEEvent("[DONE]")]


def test_undecodable_bytes_are_replaced() -> None:
    assert parse(b"data: a\xff\xfeb\n\n") == [SSEEvent("a\ufffd\ufffdb")]
    assert parse(b"data: cut \xe2\x82") == [SSEEvent("cut \ufffd")]


def test_overlong_line_is_dropped_and_counted() -> None:
    parser = SSEParser(max_line=32)
    items = parser.feed(b"data: " + b"x" * 20) + parser.feed(b"y" * 20 + b"\n\ndata: ok\n\n") + parser.close()
    assert items == [SSEEvent("ok")]
    assert parser.dropped == 1


def test_overlong_event_data_is_dropped_and_counted() -> None:
    parser = SSEParser(max_line=32)
    items = parser.feed(b"data: 0123456789\n" * 5 + b"\ndata: ok\n\n") + parser.close()
    assert items == [SSEEvent("ok")]
    assert parser.dropped == 1


def test_feed_after_close_is_ignored() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\n\n") == [SSEEvent("a")]
    assert parser.close() == []
    assert parser.feed(b"data: b\n\n") == []
    assert parser.close() == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.lists(st.integers(min_value=0, max_value=400), max_size=8))
def test_arbitrary_bytes_never_raise_and_splitting_never_matters(data: bytes, cuts: list[int]) -> None:
    bounds = sorted({min(c, len(data)) for c in cuts})
    pieces = [data[a:b] for a, b in zip([0, *bounds], [*bounds, len(data)], strict=True)]
    items = parse(*pieces, max_line=64)
    assert items == parse(data, max_line=64)
    assert all(isinstance(item, (SSEEvent, SSEComment)) for item in items)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"data:", b"data: x", b"event: error", b":c", b"\r", b"\n", b"\r\n",
                                 b"\xe2\x82\xac", b"\xff", b"id: 1", b"{", b" "]), max_size=40))
def test_sse_shaped_garbage_never_raises(parts: list[bytes]) -> None:
    data = b"".join(parts)
    assert parse(*[bytes([b]) for b in data]) == parse(data)


def test_one_whole_event_per_chunk_reads_as_the_line_by_line_parse() -> None:
    """Each API's usual chunk (one whole event) takes a shortcut; it must read as the careful path does."""
    events = [b"data: {\"a\":1}\n\n", b"data: {\"g\":2}\r\n\r\n", b"event: content_block_delta\ndata: {\"t\":3}\n\n",
              b"event: ping\ndata: {}\n\n", b"event: \ndata: x\n\n", b"data: two\ndata: lines\n\n",
              b"event: e\r\ndata: crlf\r\n\r\n", b"id: 7\ndata: with id\n\n", b"data: after id\r\n\r\n"]
    whole = parse(b"", *events)
    careful = parse(*[bytes([b]) for b in b"".join(events)])
    assert whole == careful
    assert whole[1] == SSEEvent('{"g":2}') and whole[2] == SSEEvent('{"t":3}', event="content_block_delta")
    assert whole[-1] == SSEEvent("after id", id="7")
