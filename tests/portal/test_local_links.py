"""Issue 15, finding 14: the bot's reply links took "/\\evil.example/x", which a browser opens
as another site. One rule (portal.inputs.is_local_path) keeps every link and redirect from
outside on this site: the bot's article links, the login's ?next= and moderation's way back.
The widget checks the same rule in the browser (tests/e2e/test_bot_links_browser.py)."""

from __future__ import annotations

import pytest

from portal.chat.rasa_client import parse_reply
from portal.inputs import is_local_path
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user

LOCAL = ["/", "/kb/charged-twice", "/forum/t/3-lamp-offline?page=2#p14", "/search?q=a%2Fb"]
ELSEWHERE = ["/\\evil.example/x", "/\\/evil.example", "//evil.example/x", "///evil.example", "/\t/evil.example",
             "/\n/evil.example", "/kb\\..\\..\\x", "https://evil.example/", "javascript:alert(1)", "kb/x", "",
             " /kb", "/kb/a b", "/kb/\x00", None, 42, ["/kb"]]


@pytest.mark.parametrize("url", LOCAL)
def test_a_path_on_this_site_is_local(url):
    assert is_local_path(url)


@pytest.mark.parametrize("url", ELSEWHERE, ids=repr)
def test_backslashes_hosts_and_whitespace_are_not(url):
    assert not is_local_path(url)


def test_the_bots_article_links_keep_only_our_own_pages():
    reply = parse_reply({"text": "These may help:", "custom": {"articles": [
        {"title": f"Link {i}", "url": url} for i, url in enumerate(LOCAL + ELSEWHERE)
    ] + [{"title": "Too long", "url": "/kb/" + "x" * 400}]}})
    assert [a["url"] for a in reply.articles] == LOCAL


@pytest.mark.parametrize("target", ["/\\evil.example/x", "/\t/evil.example", "//evil.example"], ids=repr)
def test_login_never_redirects_to_another_site(app, client, target):
    with app.app_context():
        make_user("casey@example.com")
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", query_string={"next": target},
                           data={"email": "casey@example.com", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
