"""The contract every destination kind keeps: it lives in its own module, its config model documents every
setting, holds credentials as secret strings and rejects settings it does not know."""

import importlib
import typing

import pydantic
import pytest

from onca.alerts.destinations import REGISTRY, DestinationConfig, build_destination

KINDS = sorted(REGISTRY)
# settings named like these hold credentials (`token_uri`, `secret_header`, `project_key` do not)
SECRET_SUFFIXES = ("token", "secret", "password", "api_key", "routing_key", "account_key", "access_key")


def own_fields(kind: str) -> dict[str, pydantic.fields.FieldInfo]:
    model = REGISTRY[kind].config_model
    return {name: field for name, field in model.model_fields.items()
            if name not in DestinationConfig.model_fields}


@pytest.mark.parametrize("kind", KINDS)
def test_contract_kind_is_its_module(kind):
    cls = REGISTRY[kind]
    assert cls.__module__ == f"onca.alerts.destinations.{kind}"
    assert importlib.import_module(cls.__module__).__dict__[cls.__name__] is cls
    assert issubclass(cls.config_model, DestinationConfig)


@pytest.mark.parametrize("kind", KINDS)
def test_contract_every_setting_is_described_with_examples(kind):
    for name, field in own_fields(kind).items():
        assert field.description, f"{kind}.{name} has no description"
        assert field.examples, f"{kind}.{name} has no examples"


@pytest.mark.parametrize("kind", KINDS)
def test_contract_secrets_are_secret_strings(kind):
    for name, field in own_fields(kind).items():
        if name.endswith(SECRET_SUFFIXES):
            types = typing.get_args(field.annotation) or (field.annotation,)
            assert pydantic.SecretStr in types, f"{kind}.{name} holds a secret but is {field.annotation}"


@pytest.mark.parametrize("kind", KINDS)
def test_contract_unknown_settings_are_rejected_by_name(kind):
    with pytest.raises(pydantic.ValidationError, match="no_such_setting"):
        build_destination(kind, {"name": "x", "no_such_setting": 1})
