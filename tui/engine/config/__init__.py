"""The config layer: groups.yaml to frozen dataclasses, `file:line` errors, and where files live.

`model` holds the dataclasses everything else reads; `loader` (with `yaml_nodes`) validates a file
into them; `paths` finds the config and state files. Only the dataclasses are imported here: the
loader pulls in PyYAML, which a process that already has a `Config` does not need.
"""

from tui.engine.config.model import (API_KINDS, CATALOG_KINDS, PROBE_KINDS, Config, ConfigError, HealthSettings,
                                     ModelConfig, Policy, ProviderConfig)

__all__ = ["API_KINDS", "CATALOG_KINDS", "PROBE_KINDS", "Config", "ConfigError", "HealthSettings", "ModelConfig",
           "Policy", "ProviderConfig"]
