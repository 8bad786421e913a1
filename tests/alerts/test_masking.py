"""Destination settings shown with secrets masked; masked or left-out secrets sent back keep their stored value."""

from __future__ import annotations

from onca.alerts.destinations import build_destination
from onca.alerts.masking import MASK, keep_secrets, masked_paths, secret_setting_names, shown_settings

STORED = {"name": "SOC hook", "url": "https://hooks.example.com/onca", "signing_secret": "whsec_1",
          "headers": {"Authorization": "Bearer t0ken", "X-Team": "secops"}}


def _shown() -> dict:
    return shown_settings(build_destination("webhook", STORED).config)


def test_masking_shows_every_secret_masked():
    shown = _shown()
    assert shown["signing_secret"] == MASK == "**********"
    assert shown["headers"] == {"Authorization": MASK, "X-Team": MASK}
    assert shown["url"] == STORED["url"]


def test_masking_keeps_secrets_sent_masked():
    sent = {**_shown(), "url": "https://moved.example.com/"}
    kept = keep_secrets(sent, stored=STORED, shown=_shown())
    assert kept["signing_secret"] == "whsec_1" and kept["headers"] == STORED["headers"]
    assert kept["url"] == "https://moved.example.com/"


def test_masking_keeps_secrets_left_out_and_takes_new_ones():
    kept = keep_secrets({"url": "https://x.example", "headers": {"Authorization": MASK, "X-Team": "blue"}},
                        stored=STORED, shown=_shown())
    assert kept["signing_secret"] == "whsec_1"
    assert kept["headers"] == {"Authorization": "Bearer t0ken", "X-Team": "blue"}
    assert "name" not in kept  # only secrets come back by themselves


def test_masking_null_clears_a_secret():
    kept = keep_secrets({"signing_secret": None}, stored=STORED, shown=_shown())
    assert kept["signing_secret"] is None


def test_masking_a_mask_with_nothing_stored_is_found():
    sent = {"headers": {"New": MASK}, "signing_secret": MASK}
    kept = keep_secrets(sent, stored={}, shown={})
    assert masked_paths(kept) == ["headers.New", "signing_secret"]


def test_masking_knows_the_secret_settings_of_every_kind():
    names = secret_setting_names()
    assert {"signing_secret", "headers", "webhook_url", "routing_key", "token", "password"} <= names
    assert "url" not in names and "name" not in names
