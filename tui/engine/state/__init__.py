"""The state layer: what is known about each model, shared between processes.

`availability` is the breaker per model and the block per provider, kept in a store
(`file_store`: a versioned JSON file); `health_record` keeps recent outcomes and latencies in
memory; `status` merges them into the row the panels and `status --json` show.
"""
