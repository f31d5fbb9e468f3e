"""Read groups.yaml (docs/architecture.md §3) into a validated `Config`.

Every problem becomes one ConfigError rendered `file:line: key.path: what was expected`, so the
CLI can print it and exit 2. Values are read from line-numbered nodes (see yaml_nodes), checked
against a fixed schema, and only then turned into the frozen dataclasses of tui.engine.config.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from tui.engine.config.model import (API_KINDS, CATALOG_KINDS, PROBE_KINDS, Config, ConfigError, ModelConfig,
                                     Policy, ProviderConfig)
from tui.engine.config.state_location import is_redis_url, parse_redis_url
from tui.engine.config.policy_reader import POLICY_KEYS, PolicyReader
from tui.engine.config.yaml_nodes import YNode, is_null, join_path, parse_yaml

__all__ = ["load_config", "load_config_text", "MAX_CONFIG_BYTES"]

MAX_CONFIG_BYTES = 1 << 20  # a groups.yaml is a few KB; anything this big is not one

TOP_KEYS = ("providers", "default_provider", "groups", "policy", "health", "serve", "state", "history")
GROUP_KEYS = ("models", "system")  # a group written as a mapping: its chain and its system prompt
PROVIDER_KEYS = ("base_url", "api_key_env", "headers", "probe", "catalog", "api")
MODEL_SETTINGS = ("max_tokens", "price")  # per-model values that are not policy
MODEL_KEYS = ("id", "provider", *MODEL_SETTINGS, *POLICY_KEYS)
# keys that mean someone pasted a secret into the file (compared lower-case, '-' as '_')
_SECRET_KEYS = {"api_key", "apikey", "key", "token", "api_token", "access_token", "secret",
                "secret_key", "password", "bearer", "authorization"}
_SECRET_HEADERS = {"authorization", "proxy-authorization", "x-api-key", "api-key"}
_KEY_ADVICE = "put the key in an environment variable and name it with api_key_env"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


# ---------------------------------------------------------------------------- loading


def load_config(path: str | Path) -> Config:
    """Read and validate a groups.yaml file; raises ConfigError (never anything else)."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError("configuration file not found", file=source) from None
    except IsADirectoryError:
        raise ConfigError("is a directory; expected a YAML configuration file", file=source) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration file: {exc.strerror or exc}", file=source) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"file is larger than {MAX_CONFIG_BYTES // 1024} KB; "
                          "expected a small YAML configuration file", file=source)
    return _load(_decode(data, source), source, Path(path))


def load_config_text(text: str, source: str = "<string>") -> Config:
    """Validate configuration given as YAML text; `source` names it in error messages."""
    return _load(text, source, None)


def _decode(data: bytes, source: str) -> str:
    """UTF-8 (BOM allowed) or BOM-marked UTF-16, as YAML permits; anything else is an error."""
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"not a text file: byte 0x{data[exc.start]:02x} is not valid {exc.encoding}; "
                          "expected UTF-8 YAML", file=source, line=line) from None


def _load(text: str, source: str, path: Path | None) -> Config:
    root = parse_yaml(text, source)
    if root is None:
        raise ConfigError("the configuration is empty; expected a mapping with 'providers' and 'groups'",
                          file=source)
    try:
        return _Builder(source).build(root, path)
    except RecursionError:
        raise ConfigError("nested too deeply", file=source, line=root.line) from None


@dataclass
class _Entry:
    """One model entry in one group, before models are merged across groups."""

    provider: str
    id: str
    overrides: dict[str, float]
    line: int
    path: str
    settings: dict[str, object] = dataclasses.field(default_factory=dict)  # max_tokens, price


class _Builder(PolicyReader):
    """Walks the node tree against the schema; each check raises at the offending node."""

    def unknown_key_message(self, name: str, allowed: tuple[str, ...]) -> str:
        """A pasted secret gets advice instead of a did-you-mean (and is never echoed)."""
        if name.lower().replace("-", "_") in _SECRET_KEYS:
            return f"an API key does not belong in the configuration; {_KEY_ADVICE}"
        return super().unknown_key_message(name, allowed)

    # -- sections

    def build(self, root: YNode, path: Path | None) -> Config:
        if root.kind != "map":
            raise self.error(root, "", "expected a mapping with 'providers' and 'groups' at the top level, "
                             f"got {root.type_name}")
        top = self.mapping(root, "", TOP_KEYS, "a mapping")
        for required in ("providers", "groups"):
            if required not in top:
                raise self.error(root, required, "required key is missing; expected a mapping of "
                                 + ("provider names to {base_url, api_key_env}" if required == "providers"
                                    else "group names to lists of models"))
        providers = self.providers(top["providers"])
        default = self.default_provider(top.get("default_provider"), providers, top["providers"])
        policy = Policy()
        if not is_null(top.get("policy")):  # absent, or `policy:` with its lines commented out
            fields, where = self.policy_fields(top["policy"], "policy", POLICY_KEYS, "a mapping of policy values")
            policy = dataclasses.replace(policy, **fields)
            self.check_cooldown(policy, where, top["policy"], "policy")
        health = self.health(top.get("health"))
        systems: dict[str, str] = {}
        groups, models = self.groups(top["groups"], providers, default, policy, systems)
        return Config(providers=providers, default_provider=default, groups=groups, models=models,
                      policy=policy, health=health, serve=self.serve(top.get("serve")), path=path,
                      state=self.state(top.get("state"), path),
                      history=self.history(top.get("history")), systems=systems)

    def history(self, node: YNode | None) -> bool:
        """`history: off` keeps no chat; `on` (the default) saves every turn."""
        if is_null(node):
            return True
        assert node is not None
        value = node.value if node.kind == "scalar" else None
        if isinstance(value, bool):  # YAML reads on/off/yes/no/true/false as booleans
            return value
        if isinstance(value, str) and value.strip().lower() in ("on", "off"):
            return value.strip().lower() == "on"
        raise self.error(node, "history", f"expected on or off, got {node.type_name}")

    def providers(self, node: YNode) -> dict[str, ProviderConfig]:
        what = "a mapping of provider names to {base_url, api_key_env}"
        entries = self.named_entries(node, "providers", what, "a provider name")
        if not entries:
            raise self.error(node, "providers", f"expected at least one provider ({what})")
        result: dict[str, ProviderConfig] = {}
        for name, key, value in entries:
            path = join_path("providers", name)
            if ":" in name or any(ch.isspace() for ch in name):
                raise self.error(key, path, "a provider name cannot contain ':' or spaces")
            fields = self.mapping(value, path, PROVIDER_KEYS, "a mapping with base_url (and api_key_env)")
            if "base_url" not in fields:
                raise self.error(value, join_path(path, "base_url"),
                                 "required key is missing; expected an http:// or https:// URL")
            base_url = self.base_url(fields["base_url"], join_path(path, "base_url"))
            result[name] = ProviderConfig(
                name=name,
                base_url=base_url,
                api=default_api(base_url) if is_null(fields.get("api"))
                else self.choice(fields["api"], join_path(path, "api"), API_KINDS, "api"),
                catalog=default_catalog(base_url) if is_null(fields.get("catalog"))
                else self.choice(fields["catalog"], join_path(path, "catalog"), CATALOG_KINDS, "catalog"),
                api_key_env=self.api_key_env(fields.get("api_key_env"), join_path(path, "api_key_env")),
                headers=self.headers(fields.get("headers"), join_path(path, "headers")),
                probe=None if is_null(fields.get("probe"))
                else self.choice(fields["probe"], join_path(path, "probe"), PROBE_KINDS, "probe kind"))
        return result

    def base_url(self, node: YNode, path: str) -> str:
        expected = "an http:// or https:// URL like https://openrouter.ai/api/v1"
        url = self.string(node, path, expected).strip()
        scheme, sep, rest = url.partition("://")
        host = rest.split("/", 1)[0]
        if not sep or scheme.lower() not in ("http", "https") or not host or any(c.isspace() for c in url):
            raise self.error(node, path, f"expected {expected}")  # no echo: URLs can carry credentials
        return url.rstrip("/")

    def api_key_env(self, node: YNode | None, path: str) -> str | None:
        if is_null(node):
            return None  # a local server (Ollama, LM Studio) needs no key
        assert node is not None
        expected = "the name of an environment variable like OPENROUTER_API_KEY"
        if node.kind != "scalar" or not isinstance(node.value, str):
            raise self.error(node, path, f"expected {expected}, got {node.type_name}")
        if not _ENV_NAME.match(node.value):  # never echoed: it may be the key itself
            raise self.error(node, path, f"expected {expected}; if this is the key itself, {_KEY_ADVICE}")
        return node.value

    def headers(self, node: YNode | None, path: str) -> dict[str, str]:
        if is_null(node):
            return {}
        assert node is not None
        result: dict[str, str] = {}
        for name, key, value in self.named_entries(node, path, "a mapping of header names to strings",
                                                   "a header name"):
            child = join_path(path, name)
            if not _HEADER_NAME.match(name):
                raise self.error(key, child, "expected a header name (letters, digits and -)")
            if name.lower() in _SECRET_HEADERS:
                raise self.error(key, child, f"credentials do not belong in the configuration; {_KEY_ADVICE}")
            if value.kind != "scalar" or not isinstance(value.value, str):
                hint = " (quote it)" if value.kind == "scalar" and value.value is not None else ""
                raise self.error(value, child, f"expected a string{hint}, got {value.type_name}")
            if "\n" in value.value or "\r" in value.value:
                raise self.error(value, child, "expected a one-line string")
            result[name] = value.value
        return result

    def default_provider(self, node: YNode | None, providers: dict[str, ProviderConfig],
                         providers_node: YNode) -> str:
        names = list(providers)
        if node is None:
            if len(names) == 1:
                return names[0]
            raise self.error(providers_node, "default_provider", "required when there is more than one "
                             f"provider; expected one of: {', '.join(names)}")
        return self.choice(node, "default_provider", names, "provider")

    def state(self, node: YNode | None, config_path: Path | None) -> str | None:
        """`state:` — a file path (relative to this file's folder, `~` expanded) or a redis:// URL."""
        if is_null(node):
            return None
        assert node is not None
        expected = "a state file path or a redis://host:port/db URL"
        text = self.string(node, "state", expected).strip()
        if is_redis_url(text):
            try:
                parse_redis_url(text)
            except ValueError as exc:
                raise self.error(node, "state", str(exc)) from None  # the message never holds the URL
            return text
        if "://" in text:
            raise self.error(node, "state", f"expected {expected}")  # no echo: a URL may hold a password
        path = Path(text).expanduser()
        if not path.is_absolute() and config_path is not None:
            path = config_path.parent / path
        return str(path)

    # -- groups and models

    def groups(self, node: YNode, providers: dict[str, ProviderConfig], default: str,
               policy: Policy, systems: dict[str, str]) -> tuple[dict[str, tuple[str, ...]], dict[str, ModelConfig]]:
        what = "a mapping of group names to lists of models"
        entries = self.named_entries(node, "groups", what, "a group name")
        if not entries:
            raise self.error(node, "groups", f"expected at least one group ({what})")
        per_group: dict[str, list[_Entry]] = {}
        first: dict[tuple[str, str], _Entry] = {}  # the entry that gave a model's overrides (or first seen)
        for name, _key, value in entries:
            path = join_path("groups", name)
            if value.kind == "map":  # {models: [...], system: "..."}
                fields = self.mapping(value, path, GROUP_KEYS, "a list of models, or a mapping {models, system}")
                if "models" not in fields:
                    raise self.error(value, join_path(path, "models"), "required key is missing; expected the "
                                     "group's list of models")
                if "system" in fields and not is_null(fields["system"]):
                    systems[name] = self.string(fields["system"], join_path(path, "system"), "a system prompt")
                value, path = fields["models"], join_path(path, "models")
            if value.kind != "list":
                raise self.error(value, path, f"expected a list of models, got {value.type_name}")
            if not value.items:
                raise self.error(value, path, "empty group; expected at least one model")
            seen_here: dict[tuple[str, str], _Entry] = {}
            chain: list[_Entry] = []
            for index, item in enumerate(value.items):
                entry = self.model_entry(item, f"{path}[{index}]", providers, default, policy)
                ident = (entry.provider, entry.id)
                if ident in seen_here:
                    raise self.error(item, entry.path, f"duplicate model {entry.id!r} in this group "
                                     f"(already at line {seen_here[ident].line}); list each model once")
                seen_here[ident] = entry
                chain.append(entry)
                self.merge_identity(first, ident, entry)
            per_group[name] = chain
        return self.name_models(per_group, first, policy)

    def model_entry(self, node: YNode, path: str, providers: dict[str, ProviderConfig], default: str,
                    policy: Policy) -> _Entry:
        if node.kind == "scalar" and isinstance(node.value, str):
            return _Entry(default, self.string(node, path, "a model id"), {}, node.line, path)
        if node.kind != "map":
            raise self.error(node, path, "expected a model id or a mapping {id, provider, ...}, "
                             f"got {node.type_name}")
        fields = self.mapping(node, path, MODEL_KEYS, "a mapping {id, provider, ...}")
        if "id" not in fields:
            raise self.error(node, join_path(path, "id"), "required key is missing; expected the model id "
                             "to send, like openai/gpt-4o")
        model_id = self.string(fields["id"], join_path(path, "id"), "a model id")
        provider = default
        if "provider" in fields:
            provider = self.choice(fields["provider"], join_path(path, "provider"), list(providers), "provider")
        override_node = YNode("map", node.line, pairs=[(k, v) for k, v in node.pairs
                                                       if k.value not in ("id", "provider", *MODEL_SETTINGS)])
        overrides, where = self.policy_fields(override_node, path, POLICY_KEYS, "a mapping")
        self.check_cooldown(dataclasses.replace(policy, **overrides), where, node, path)
        settings: dict[str, object] = {}
        if not is_null(fields.get("max_tokens")):
            settings["max_tokens"] = self.max_tokens(fields["max_tokens"], join_path(path, "max_tokens"))
        if not is_null(fields.get("price")):
            settings["price"] = self.price(fields["price"], join_path(path, "price"))
        return _Entry(provider, model_id, overrides, node.line, path, settings)

    def max_tokens(self, node: YNode, path: str) -> int:
        value = node.value
        if node.kind != "scalar" or isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.error(node, path, f"expected a whole number of tokens like 4096, got {node.type_name}")
        return value

    def price(self, node: YNode, path: str) -> tuple[float, float]:
        """`{input: 3.00, output: 15.00}`: USD per million tokens."""
        fields = self.mapping(node, path, ("input", "output"), "a mapping {input, output} in USD per million tokens")
        out = []
        for key in ("input", "output"):
            child = join_path(path, key)
            if key not in fields:
                raise self.error(node, child, "required key is missing; expected USD per million tokens")
            value = fields[key].value
            if fields[key].kind != "scalar" or isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not value >= 0 or value == float("inf"):
                raise self.error(fields[key], child, "expected USD per million tokens, a number like 3.00")
            out.append(float(value))
        return out[0], out[1]

    def merge_identity(self, first: dict[tuple[str, str], _Entry], ident: tuple[str, str],
                       entry: _Entry) -> None:
        """One (provider, id) is one model: entries that give overrides must give the same ones."""
        known = first.get(ident)
        if known is None or ((entry.overrides or entry.settings) and not (known.overrides or known.settings)):
            first[ident] = entry
            return
        if (entry.overrides or entry.settings) and (entry.overrides, entry.settings) != (known.overrides,
                                                                                         known.settings):
            raise self.error(entry.line, entry.path,
                             f"model {entry.id!r} ({entry.provider}) has different policy overrides than at "
                             f"line {known.line} ({known.path}); it is one model, so give them identically "
                             "(or only once)")

    def name_models(self, per_group: dict[str, list[_Entry]], first: dict[tuple[str, str], _Entry],
                    policy: Policy) -> tuple[dict[str, tuple[str, ...]], dict[str, ModelConfig]]:
        """Name each model by its id, or `provider:id` where one id is served by several providers."""
        providers_of: dict[str, set[str]] = {}
        for provider, model_id in first:
            providers_of.setdefault(model_id, set()).add(provider)
        names: dict[tuple[str, str], str] = {}
        models: dict[str, ModelConfig] = {}
        for chain in per_group.values():
            for entry in chain:
                ident = (entry.provider, entry.id)
                if ident in names:
                    continue
                name = entry.id if len(providers_of[entry.id]) == 1 else f"{entry.provider}:{entry.id}"
                if name in models:
                    raise self.error(entry.line, entry.path, f"model name {name!r} is already used by "
                                     "another provider's model; rename or drop one of them")
                names[ident] = name
                given = first[ident]
                models[name] = ModelConfig(name=name, id=entry.id, provider=entry.provider,
                                           policy=dataclasses.replace(policy, **given.overrides),
                                           max_tokens=given.settings.get("max_tokens"),  # type: ignore[arg-type]
                                           price=given.settings.get("price"))  # type: ignore[arg-type]
        groups = {group: tuple(names[(e.provider, e.id)] for e in chain) for group, chain in per_group.items()}
        return groups, models


def _host(base_url: str) -> str:
    return base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()


def default_catalog(base_url: str) -> str:
    """OpenRouter publishes its model list and endpoint health, Anthropic and Google their model
    lists; other servers are not assumed to."""
    host = _host(base_url)
    if host == "openrouter.ai" or host.endswith(".openrouter.ai"):
        return "openrouter"
    return "listing" if default_api(base_url) != "openai" else "none"


def default_api(base_url: str) -> str:
    """The API a provider speaks when `api:` is not given: the vendors' own hosts speak their own."""
    host = _host(base_url)
    if host == "api.anthropic.com":
        return "anthropic"
    if host == "generativelanguage.googleapis.com":
        return "gemini"
    return "openai"
