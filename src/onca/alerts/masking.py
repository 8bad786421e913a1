"""Destination settings as people see them, secrets masked, and masked secrets sent back meaning "keep it".

A destination's settings are shown as its config model dumps them, every secret as MASK. A client that edits a
destination sends back what it was shown with the changes it means: a secret still masked, or left out, keeps
its stored value; any other value replaces it; null clears an optional one.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, get_args

from pydantic import SecretStr

from onca.alerts.destinations import REGISTRY, DestinationConfig

MASK = str(SecretStr("secret"))  # how pydantic shows a secret: "**********"
_ABSENT = object()


def shown_settings(config: DestinationConfig) -> dict[str, Any]:
    """A destination's settings as JSON, every secret masked."""
    return config.model_dump(mode="json")


def keep_secrets(submitted: Mapping[str, Any], *, stored: Mapping[str, Any],
                 shown: Mapping[str, Any]) -> dict[str, Any]:
    """`submitted` settings with the stored value put back wherever a secret came masked or was left out.

    `stored` are the settings as kept (secrets in clear), `shown` what was shown of them (secrets masked): a
    value is a secret where `shown` holds MASK.
    """
    merged = {key: _restore(value, stored.get(key, _ABSENT), shown.get(key, _ABSENT))
              for key, value in submitted.items()}
    for key, value in shown.items():
        if key not in submitted and key in stored and _holds_mask(value):
            merged[key] = stored[key]
    return merged


def masked_paths(settings: Any, path: str = "") -> list[str]:
    """Where MASK is still in these settings: a secret that was shown masked and has nothing stored to stand
    for (it must be sent in clear)."""
    if isinstance(settings, str):
        return [path or "value"] if settings == MASK else []
    if isinstance(settings, Mapping):
        return [found for key, value in settings.items()
                for found in masked_paths(value, f"{path}.{key}" if path else str(key))]
    if isinstance(settings, list | tuple):
        return [found for index, value in enumerate(settings) for found in masked_paths(value, f"{path}.{index}")]
    return []


def _restore(value: Any, stored: Any, shown: Any) -> Any:
    if value == MASK and shown == MASK and stored is not _ABSENT:
        return stored
    if isinstance(value, Mapping) and isinstance(stored, Mapping) and isinstance(shown, Mapping):
        return {key: _restore(item, stored.get(key, _ABSENT), shown.get(key, _ABSENT))
                for key, item in value.items()}
    return value


def _holds_mask(shown: Any) -> bool:
    if isinstance(shown, str):
        return shown == MASK
    if isinstance(shown, Mapping):
        return any(_holds_mask(item) for item in shown.values())
    if isinstance(shown, list | tuple):
        return any(_holds_mask(item) for item in shown)
    return False


@cache
def secret_setting_names() -> frozenset[str]:
    """The names of settings that hold a secret in some destination kind (`token`, `headers`, `webhook_url`,
    ...): what a record of an API request about destinations must not keep."""
    return frozenset(name for kind in REGISTRY.values() for name, field in kind.config_model.model_fields.items()
                     if _mentions_secret(field.annotation))


def _mentions_secret(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, SecretStr):
        return True
    return any(_mentions_secret(arg) for arg in get_args(annotation))
