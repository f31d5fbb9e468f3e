"""The policy, health and serve parts of groups.yaml: durations, the cooldown, hedge, health and serve settings.

A mixin of the loader's schema walk (`loader._Builder`); split out so each file stays readable.
"""

from __future__ import annotations

import math

from tui.engine.config.model import PROBE_KINDS, ConfigError, HealthSettings, Policy, ServeSettings
from tui.engine.config.yaml_nodes import NodeReader, YNode, is_null, join_path
from tui.engine.durations import disable_seconds, format_duration

MAX_FACTOR = 100.0
HEALTH_KEYS = ("interval", "timeout", "probe", "recheck")
SERVE_KEYS = ("wait",)
COOLDOWN_KEYS = ("base", "factor", "max")
# policy keys that are plain durations, named as the Policy fields they set
_POLICY_DURATIONS = ("connect_timeout", "ttft_timeout", "stall_timeout", "manual_disable", "retry_after_wait")
POLICY_KEYS = ("connect_timeout", "ttft_timeout", "stall_timeout", "cooldown", "manual_disable",
               "retry_after_wait", "hedge")
_ZERO_ALLOWED = {"retry_after_wait"}  # 0 means "never wait for Retry-After"


class PolicyReader(NodeReader):
    """Typed reads of `policy:` (global or per model) and `health:`."""

    def policy_fields(self, node: YNode, path: str, allowed: tuple[str, ...],
                      what: str) -> tuple[dict[str, float], dict[str, YNode]]:
        """Policy values given in a mapping: Policy field -> seconds, and field -> node for errors."""
        fields: dict[str, float] = {}
        where: dict[str, YNode] = {}
        for key, value in self.mapping(node, path, allowed, what).items():
            child = join_path(path, key)
            if key in _POLICY_DURATIONS:
                fields[key] = self.duration(value, child, allow_zero=key in _ZERO_ALLOWED)
                where[key] = value
                if key == "manual_disable":  # the same rule as `--for`, the dialog and the API
                    try:
                        disable_seconds(fields[key])
                    except ValueError as exc:
                        raise self.error(value, child, str(exc)) from None
            elif key == "hedge":
                fields[key] = self.hedge(value, child)  # type: ignore[assignment]
            elif key == "cooldown":
                for sub, sub_node in self.mapping(value, child, COOLDOWN_KEYS,
                                                  "a mapping {base, factor, max}").items():
                    field_name = f"cooldown_{sub}"
                    sub_path = join_path(child, sub)
                    if sub == "factor":
                        fields[field_name] = self.factor(sub_node, sub_path)
                    else:
                        fields[field_name] = self.duration(sub_node, sub_path)
                    where[field_name] = sub_node
        return fields, where

    def hedge(self, node: YNode, path: str) -> float | str | None:
        """`hedge: 2s`, `hedge: auto`, or `hedge: off` (the default)."""
        value = node.value
        if node.kind == "scalar" and (value is None or value is False or (isinstance(value, str)
                                                                           and value.strip().lower() == "off")):
            return None
        if node.kind == "scalar" and isinstance(value, str) and value.strip().lower() == "auto":
            return "auto"
        if node.kind == "scalar" and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            try:
                return self.duration(node, path)
            except ConfigError:
                pass
        raise self.error(node, path, "expected a duration like 2s, auto, or off")

    def factor(self, node: YNode, path: str) -> float:
        value = node.value
        if node.kind != "scalar" or isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(node, path, f"expected a number of at least 1 (like 2), got {node.type_name}")
        try:
            factor = float(value)
        except OverflowError:
            factor = math.inf
        if not math.isfinite(factor) or factor < 1 or factor > MAX_FACTOR:
            raise self.error(node, path, f"expected a number from 1 to {MAX_FACTOR:g}, got {value!r}"
                             if math.isfinite(factor) else f"expected a number from 1 to {MAX_FACTOR:g}")
        return factor

    def check_cooldown(self, policy: Policy, where: dict[str, YNode], node: YNode, path: str) -> None:
        """A cap below the first cooldown makes the growth meaningless: almost surely a typo."""
        if policy.cooldown_max >= policy.cooldown_base:
            return
        culprit = "cooldown_max" if "cooldown_max" in where else "cooldown_base"
        at = where.get(culprit, node)
        raise self.error(at, join_path(join_path(path, "cooldown"), culprit.removeprefix("cooldown_")),
                         f"cooldown max ({format_duration(policy.cooldown_max)}) is shorter than "
                         f"cooldown base ({format_duration(policy.cooldown_base)}); expected max >= base")

    def health(self, node: YNode | None) -> HealthSettings:
        if is_null(node):
            return HealthSettings()
        assert node is not None
        fields = self.mapping(node, "health", HEALTH_KEYS, "a mapping {interval, timeout, probe, recheck}")
        values: dict[str, object] = {}
        for key in ("interval", "timeout", "recheck"):
            if key in fields:
                values[key] = self.duration(fields[key], f"health.{key}")
        if "probe" in fields:
            values["probe"] = self.choice(fields["probe"], "health.probe", PROBE_KINDS, "probe kind")
        return HealthSettings(**values)  # type: ignore[arg-type]

    def serve(self, node: YNode | None) -> ServeSettings:
        """`serve:` {wait}: how long a served request may wait for a model to come back (0: answer 503 at once)."""
        if is_null(node):
            return ServeSettings()
        assert node is not None
        fields = self.mapping(node, "serve", SERVE_KEYS, "a mapping {wait}")
        if "wait" not in fields:
            return ServeSettings()
        return ServeSettings(wait=self.duration(fields["wait"], "serve.wait", allow_zero=True))
