"""Text the command line and the TUI both show, in one Textual-free place.

`trail` is the attempt trail under an answer and on stderr; `status` the countdowns, latencies,
ages and reasons of the models panel and `modelfallback status`; `events` the event log's lines
for status changes and probe results; `breaks` where a word too long for a toast is broken.
The TUI adds colour on top; the words are these.
"""
