"""Look-alikes (issue 15 finding 17): addresses with a letter from another alphabet, customers
named like staff, and direction-control or invisible characters in names and titles."""

from __future__ import annotations

import pytest

from forum.services import clean_title
from portal.auth.services import AccountError, DisplayNameError, normalise_email
from portal.plaintext import mixes_scripts, visible_text
from portal.tickets.services import open_ticket
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user
from tests.portal.test_auth import register, users

RLO = "\u202e"


@pytest.mark.parametrize("email", ["cu\u0455tomer@example.com",  # Cyrillic dze
                                   "\u0430dmin@example.com",  # Cyrillic a
                                   "casey@ex\u0430mple.com",  # a domain label mixing alphabets
                                   "casey\u200b@example.com", f"casey{RLO}@example.com"])
def test_look_alike_addresses_are_refused(app, email):
    with app.app_context(), pytest.raises(AccountError):
        normalise_email(email)


def test_registration_refuses_a_look_alike_address_under_the_email_field(app, client):
    response = register(client, email="cu\u0455tomer@example.com")
    assert response.status_code == 400
    assert "Internationalized characters before the @-sign" in response.get_data(as_text=True)
    assert users(app) == []


@pytest.mark.parametrize("email, stored", [("Casey@Example.com", "casey@example.com"),
                                           ("zoe@m\u00fcnchen.de", "zoe@m\u00fcnchen.de"),  # one alphabet per label
                                           ("taro@\u4f8b\u3048.jp", "taro@\u4f8b\u3048.jp")])  # kanji with kana
def test_ordinary_and_international_domains_are_accepted(app, email, stored):
    with app.app_context():
        assert normalise_email(email) == stored


@pytest.mark.parametrize("name", ["Brightnest Support \u2713", "Admin", "brightnest", "The BRIGHTNEST team",
                                  "Support", "Sam \u2714", "Moderator Mia", "Bright-nest", "\u0405upport",
                                  "\uff21\uff44\uff4d\uff49\uff4e"])  # fullwidth "Admin"
def test_customers_cannot_take_a_staff_like_name(app, name):
    with app.app_context(), pytest.raises(DisplayNameError):
        make_user("casey@example.com", name=name)


@pytest.mark.parametrize("name", ["Zo\u00eb Salda\u00f1a", "\u674e\u5c0f\u9f99", "Robin O'Neil", "Supriya Admani",
                                  "\u0418\u0432\u0430\u043d Smith", "Jos\u00e9-Mar\u00eda"])
def test_ordinary_names_in_any_alphabet_are_accepted(app, name):
    with app.app_context():
        assert make_user("casey@example.com", name=name).name == name


def test_staff_may_be_named_for_the_brand(app):
    with app.app_context():
        assert make_user("help@example.com", roles=["agent"], name="Brightnest Support").name == "Brightnest Support"


def test_registration_shows_a_refused_name_under_the_name_field(app, client):
    response = register(client, name="Brightnest Support \u2713")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "kept for our staff" in html
    assert html.index("kept for our staff") < html.index('name="email"')
    assert users(app) == []


def test_direction_controls_and_invisible_characters_are_dropped_from_names_and_titles(app):
    with app.app_context():
        assert make_user("casey@example.com", name=f"Ca{RLO}sey\u200b Doe\u2066").name == "Casey Doe"
        assert clean_title(f"Invoice {RLO}fdp.exe attached\u200b") == "Invoice fdp.exe attached"
        ticket = open_ticket(reason="left_message", transcript=[], subject=f"Refund {RLO}dnufer\u2067 late")
        assert ticket.subject == "Refund dnufer late"


def test_the_plain_text_helpers():
    assert visible_text(f" a{RLO}b\u200d\tc\x00 ") == "ab c"
    assert mixes_scripts("cu\u0455tomer") and not mixes_scripts("\u0418\u0432\u0430\u043d Smith")
    assert not mixes_scripts("\u6771\u4eac\u3068\u30ab\u30bf\u30ab\u30ca") and not mixes_scripts("route-66 caf\u00e9")


def test_a_signed_in_customer_keeps_their_name(app, client):
    """Nothing changes for an existing ordinary account."""
    with app.app_context():
        make_user("casey@example.com", name="Casey Doe")
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"email": "casey@example.com", "password": PASSWORD, "csrf_token": token})
    assert "Casey" in client.get("/").get_data(as_text=True)
