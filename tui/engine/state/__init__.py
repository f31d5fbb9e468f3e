"""The state layer: what is known about each model, shared between processes.

`availability` is the breaker per model and the block per provider, kept in a store behind one
interface (`store`): `file_store` (a versioned JSON file, one machine) or `redis_store` (with
`redis_link`, `redis_sync` and `shared_doc`: several machines, a local file while Redis is out of
reach). `catalog` keeps what the providers published (context lengths, uptime); `health_record`
keeps recent outcomes and latencies in memory; `status` merges them into the row the panels and
`status --json` show.
"""
