"""What the Teams channel keeps: activities answered once, where each person is, its settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import FixedClock

from bot.channels.teams import records
from bot.config import TEAMS_PREFIX, ConfigError, load_teams_settings
from bot.store import Store

REFERENCE = {"serviceUrl": "https://smba.trafficmanager.net/uk/", "conversation": {"id": "a:1"}}


def test_an_activity_is_taken_once_whichever_process_sees_it(store: Store, db_url: str) -> None:
    other = Store(db_url)  # a second worker on the same database
    assert records.first_delivery(store, "act-1")
    assert not records.first_delivery(other, "act-1")
    assert records.first_delivery(other, "act-2")
    other.close()


def test_old_activity_ids_are_forgotten(store: Store, clock: FixedClock) -> None:
    records.first_delivery(store, "old")
    clock.now += timedelta(days=2)
    records.first_delivery(store, "new")
    assert records.forget_activities(store) == 1
    assert records.first_delivery(store, "old") and not records.first_delivery(store, "new")


def test_a_persons_reference_is_refreshed_and_forgotten_once_they_are_gone(store: Store) -> None:
    assert records.reference_of(store, "29:sam") is None
    records.remember(store, "29:sam", REFERENCE)
    assert records.reference_of(store, "29:sam") == REFERENCE
    records.mark_gone(store, "29:sam")
    assert records.reference_of(store, "29:sam") is None
    moved = {**REFERENCE, "serviceUrl": "https://smba.trafficmanager.net/emea/"}
    records.remember(store, "29:sam", moved)  # they wrote again: reachable again
    assert records.reference_of(store, "29:sam") == moved


def full() -> dict[str, str]:
    return {
        TEAMS_PREFIX + "CLIENTID": "app-id",
        TEAMS_PREFIX + "TENANTID": "tenant-id",
        TEAMS_PREFIX + "CLIENTSECRET": "s3cr3t",
    }


def test_the_settings_take_the_agents_sdks_own_names() -> None:
    settings = load_teams_settings(full())
    assert (settings.client_id, settings.tenant_id, settings.auth_type) == (
        "app-id",
        "tenant-id",
        "ClientSecret",
    )
    assert settings.sdk == full() and "s3cr3t" not in repr(settings)
    assert not settings.anonymous and "smba.trafficmanager.net" in settings.service_hosts


@pytest.mark.parametrize("missing", ["CLIENTID", "TENANTID", "CLIENTSECRET"])
def test_a_missing_setting_is_named(missing: str) -> None:
    env = full()
    del env[TEAMS_PREFIX + missing]
    with pytest.raises(ConfigError, match=f"^{TEAMS_PREFIX}{missing} is not set"):
        load_teams_settings(env)


def test_the_way_of_signing_in_is_checked_with_what_it_needs() -> None:
    env = {**full(), TEAMS_PREFIX + "AUTHTYPE": "Password"}
    with pytest.raises(ConfigError, match="AUTHTYPE must be one of ClientSecret, certificate"):
        load_teams_settings(env)
    env = {**full(), TEAMS_PREFIX + "AUTHTYPE": "WorkloadIdentity"}
    with pytest.raises(ConfigError, match="FEDERATEDTOKENFILE is not set"):
        load_teams_settings(env)


def test_extra_reply_hosts_add_to_microsofts_and_test_keys_stay_on_this_machine() -> None:
    hosts = load_teams_settings({**full(), "HELPBOT_TEAMS_SERVICE_HOSTS": "127.0.0.1"})
    assert hosts.service_hosts == ("smba.trafficmanager.net", "botframework.com", "127.0.0.1")
    local = {**full(), "HELPBOT_TEAMS_TEST_JWKS_URL": "http://127.0.0.1:9/jwks"}
    assert load_teams_settings(local).jwks_url == "http://127.0.0.1:9/jwks"
    for elsewhere in ("https://keys.example.org/jwks", "http://127.0.0.1.example.org/"):
        env = {**full(), "HELPBOT_TEAMS_TEST_JWKS_URL": elsewhere}
        with pytest.raises(ConfigError, match="for tests on this machine only"):
            load_teams_settings(env)


def test_a_managed_identity_needs_no_secret_and_anonymous_needs_the_flag() -> None:
    env = {**full(), TEAMS_PREFIX + "AUTHTYPE": "UserManagedIdentity"}
    del env[TEAMS_PREFIX + "CLIENTSECRET"]
    assert load_teams_settings(env).auth_type == "UserManagedIdentity"
    with pytest.raises(ConfigError):
        load_teams_settings({})
    assert load_teams_settings({"HELPBOT_TEAMS_ANONYMOUS": "1"}).anonymous
