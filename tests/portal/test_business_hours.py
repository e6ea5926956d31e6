"""Opening hours have one source, BUSINESS_HOURS: the articles render them from it (as they
render the brand), the "nobody is there" notice says the same, and the default is what the
articles always promised."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.config import ConfigError, load_config
from portal.extensions import db
from portal.hours import describe_business_hours, is_open, parse_business_hours
from portal.kb.models import Article
from portal.kb.services import article_document
from tests.factories import make_article

ARTICLES = Path(__file__).resolve().parents[2] / "kb_articles"
PROMISED = "Monday to Friday 8:00\u201320:00 and Saturday 9:00\u201317:00"


def test_the_default_hours_are_the_ones_the_articles_promised(tmp_path):
    assert describe_business_hours(load_config(tmp_path, {})["BUSINESS_HOURS"]) == PROMISED


def test_no_article_writes_hours_of_its_own():
    texts = {p.name: p.read_text(encoding="utf-8") for p in ARTICLES.glob("*.md")}
    assert not [name for name, text in texts.items() if "8:00\u201320:00" in text or "9:00\u201317:00" in text]
    assert sum("{{ business_hours }}" in text for text in texts.values()) >= 8


@pytest.mark.parametrize("spec, words", [
    ("Mon-Fri 08:00-20:00, Sat 09:00-17:00", PROMISED),
    ("Mon-Fri 08:00-20:00; Sat 09:00-17:00", PROMISED),
    ("Mon-Fri 09:00-17:00", "Monday to Friday 9:00\u201317:00"),
    ("sat 03:00-03:01", "Saturday 3:00\u20133:01"),
    ("Monday-Friday 8:00-20:00", "Monday to Friday 8:00\u201320:00"),
    ("always", "every day, around the clock"),
])
def test_hours_read_as_a_customer_would_say_them(spec, words):
    assert describe_business_hours(spec) == words


@pytest.mark.parametrize("when, open_", [
    (datetime(2026, 12, 4, 19, 59), True),   # Friday evening
    (datetime(2026, 12, 4, 20, 0), False),
    (datetime(2026, 12, 5, 8, 30), False),   # Saturday before nine
    (datetime(2026, 12, 5, 16, 59), True),
    (datetime(2026, 12, 6, 12, 0), False),   # Sunday
])
def test_open_means_inside_one_of_the_parts(when, open_):
    assert is_open("Mon-Fri 08:00-20:00, Sat 09:00-17:00", when) is open_


@pytest.mark.parametrize("spec", ["", "weekdays", "Mon-Fri 9-17", "Mon-Fri 17:00-09:00", "Mon-Fri 08:00-25:00",
                                  "Mon-Fri 08:00-20:00, Funday 09:00-10:00", "Mon-Fri 08:60-20:00",
                                  # read before as something else: Monday only, 10:00, 8:00, Monday
                                  "Mon–Fri 08:00-20:00", "Mon-Fri 1_0:00-20:00", "Mon-Fri ٨:00-20:00",
                                  "Monkey 08:00-20:00", "Mon-Fri +8:00-20:00"])
def test_a_bad_spec_is_refused_with_the_expected_shape(spec):
    with pytest.raises(ValueError, match="BUSINESS_HOURS must look like"):
        parse_business_hours(spec)


def test_an_article_renders_the_configured_hours_and_changes_with_them(make_app):
    body = "Type **'talk to a person'**. Our team is available {{ business_hours }}."
    pages = {}
    for spec in ("Mon-Fri 08:00-20:00, Sat 09:00-17:00", "Tue-Thu 10:00-16:30"):
        app = make_app(BUSINESS_HOURS=spec)
        if not pages:  # the apps share one database
            with app.app_context():
                make_article("reach-us", "Reach {{ brand }}", body, summary="Open {{ business_hours }}")
        pages[spec] = app.test_client().get("/kb/reach-us").get_data(as_text=True)
        search = app.test_client().get("/kb/").get_data(as_text=True)
        assert "{{ business_hours }}" not in pages[spec] + search
    assert f"Our team is available {PROMISED}." in pages["Mon-Fri 08:00-20:00, Sat 09:00-17:00"]
    assert "Our team is available Tuesday to Thursday 10:00\u201316:30." in pages["Tue-Thu 10:00-16:30"]
    assert PROMISED not in pages["Tue-Thu 10:00-16:30"]
    with app.app_context():  # what search (and the bot, which asks the portal's search) is given
        document = article_document(db.session.scalar(sa.select(Article).where(Article.slug == "reach-us")))
    assert "Tuesday to Thursday 10:00\u201316:30" in document.body + document.summary
    assert "{{" not in document.body + document.summary + document.title


def test_a_mistyped_business_hours_stops_the_start_with_its_expected_shape(tmp_path):
    with pytest.raises(ConfigError, match="BUSINESS_HOURS must look like"):
        load_config(tmp_path, {"BUSINESS_HOURS": "Mon-Fri 9 to 5"})
    assert load_config(tmp_path, {"BUSINESS_HOURS": "always"})["BUSINESS_HOURS"] == "always"
