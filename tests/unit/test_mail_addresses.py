"""EMAIL_FROM and EMAIL_TO are checked at start-up: what Exchange Online and Graph accept is
accepted, a typo is refused naming the setting and the address."""

from __future__ import annotations

import pytest

from alertgate.cli import main
from alertgate.config_sources import ConfigError, load
from alertgate.mail_addresses import address_problem

GRAPH = {
    "GRAPH_TENANT_ID": "72f988bf-86f1-41af-91ab-2d7cd011db47",
    "GRAPH_CLIENT_ID": "535fb089-9ff3-47b6-9bfb-4f1264799865",
    "GRAPH_CLIENT_SECRET": "s",
}
OBJECT_ID = "0b6c5e2a-1d3f-4e8b-9a7c-2f1e0d9c8b7a"


@pytest.mark.parametrize(
    "address",
    [
        "alerts@contoso.com",
        "first.last+alerts@contoso.com",
        "o'brien@contoso.co.uk",
        "user_fabrikam.com#EXT#@contoso.onmicrosoft.com",  # a guest's UPN
        "root@localhost",  # an SMTP relay on the host
        "ünsal@bücher.de",
        "a-b_c@sub-domain.example.com",
    ],
)
def test_addresses_exchange_and_graph_take_are_accepted(address: str) -> None:
    assert address_problem(address) is None
    settings = load({"EMAIL_FROM": address, "EMAIL_TO": f"{address}, oncall@contoso.com"})
    assert settings.settings.email_from == address


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("bad", "is not an email address"),
        ("bad@", "is not an email address"),
        ("@contoso.com", "is not an email address"),
        ("a..b@contoso.com", "before the @"),
        (".a@contoso.com", "before the @"),
        ("a b@contoso.com", "contains spaces"),
        ("oncall@company.com   # two recipients", "contains spaces"),
        ("a@b@contoso.com", "before the @"),
        ("a@contoso..com", "is not a domain name"),
        ("a@-contoso.com", "is not a domain name"),
        ("a@contoso.com.", "is not a domain name"),
        ("Alerts <alerts@contoso.com>", "without a display name"),
    ],
)
def test_a_mistyped_address_is_refused_naming_setting_and_address(address: str, says: str) -> None:
    """In EMAIL_FROM, and in EMAIL_TO among good ones: ConfigError names both."""
    problem = address_problem(address)
    assert problem is not None
    assert says in problem
    with pytest.raises(ConfigError) as sender:
        load({"EMAIL_FROM": address})
    assert "EMAIL_FROM (email.from)" in str(sender.value)
    assert repr(address) in str(sender.value)
    with pytest.raises(ConfigError) as recipients:
        load({"EMAIL_TO": f"oncall@contoso.com, {address}"})
    assert "EMAIL_TO (email.to)" in str(recipients.value)
    assert repr(address) in str(recipients.value)


def test_an_object_id_is_a_graph_sender_but_not_an_smtp_one() -> None:
    """Graph's /users/{id}/sendMail takes the mailbox user's object id; SMTP needs an address."""
    graph = load({**GRAPH, "EMAIL_FROM": OBJECT_ID, "EMAIL_TO": "oncall@contoso.com"})
    assert graph.settings.email_from == OBJECT_ID
    with pytest.raises(ConfigError) as smtp:
        load({"ALERTGATE_SMTP_HOST": "smtp", "EMAIL_FROM": OBJECT_ID, "EMAIL_TO": "a@b.com"})
    assert "EMAIL_FROM (email.from): SMTP mail needs the sender's address" in str(smtp.value)
    with pytest.raises(ConfigError):
        load({"EMAIL_TO": OBJECT_ID})  # recipients are addresses, for Graph too


def test_check_config_exits_2_naming_email_from(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`EMAIL_FROM=bad` used to be accepted: check-config now exits 2 and says which setting."""
    for name, value in {**GRAPH, "EMAIL_FROM": "bad", "EMAIL_TO": "oncall@contoso.com"}.items():
        monkeypatch.setenv(name, value)
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err
    assert "EMAIL_FROM (email.from): Value error, 'bad' is not an email address" in err
