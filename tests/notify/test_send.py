"""The signature a receiver checks, and settings that refuse what cannot work without echoing a secret."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from pydantic import ValidationError

from cxgap.config import NotifySettings, Webhook, describe_validation_error
from cxgap.notify import sign, verify_signature

SECRET = "0123456789abcdef-secret"


def test_the_signature_is_the_documented_hmac_and_expires() -> None:
    body = b'{"text": "Case X is due"}'
    expected = hmac.new(SECRET.encode(), b"1780000000." + body, hashlib.sha256).hexdigest()
    assert sign(SECRET, "1780000000", body) == f"sha256={expected}"
    signature = sign(SECRET, "1780000000", body)
    assert verify_signature(SECRET, "1780000000", body, signature, now=1780000100)
    assert not verify_signature(SECRET, "1780000000", body + b" ", signature, now=1780000100)
    assert not verify_signature("another-secret-of-16", "1780000000", body, signature, now=1780000100)
    assert not verify_signature(SECRET, "1780000000", body, signature, now=1780000301)  # replayed later
    assert not verify_signature(SECRET, "soon", body, signature, now=1780000000)


def test_settings_refuse_what_cannot_work_without_echoing_secrets() -> None:
    with pytest.raises(ValidationError, match="the digest goes to people"):
        Webhook(url="https://chat.example.com/h", secret=SECRET, events=["digest"])
    with pytest.raises(ValidationError) as refused:
        Webhook(url="ftp://chat.example.com/T0/sEcReT", secret=SECRET)
    said = describe_validation_error(refused.value, "cxgap.toml")  # what a user is shown
    assert said == "cxgap.toml: a webhook url must be an http:// or https:// URL."
    with pytest.raises(ValidationError) as bad_smtp:
        NotifySettings(smtp_url="mail://me:pa55word@host")
    said = describe_validation_error(bad_smtp.value, "cxgap.toml")
    assert "smtp://user:password@host:port" in said and "pa55word" not in said
    assert not NotifySettings().configured
    assert NotifySettings(webhooks={"c": Webhook(url="https://chat.example.com/h", secret=SECRET)}).configured
