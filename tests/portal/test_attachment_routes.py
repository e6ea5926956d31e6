"""Attachments over HTTP: uploads from each side, who may read them, the headers they are
served with, and bad files refused with nothing stored (no row, no file)."""

from __future__ import annotations

import io
import os

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image

from portal.attachments.models import Attachment
from portal.conversations.models import ChatEvent, Message
from portal.extensions import db
from tests.portal.attachment_files import HTML, PDF, SVG, image_bytes, jpeg_with_gps
from tests.portal.ticket_builders import handoff, page_token, person, sign_in


@pytest.fixture
def world(desk):
    with desk.app_context():
        casey = person("casey@example.com", name="Casey Doe")
        person("robin@example.com", name="Robin Roe")
        ann = person("ann@example.com", ["agent"], "Ann Agent", teams=["billing"])
        person("tom@example.com", ["agent"], "Tom Tech", teams=["technical"])
        ticket = handoff(customer=casey, conv_status="live", assignee=ann)
        ids = {"number": ticket.number, "conversation": ticket.conversation.public_id}
    return desk, ids


def client_as(app, email: str | None):
    client = app.test_client()
    if email:
        sign_in(client, email)
    return client, page_token(client)


def upload(client, token, url, files, **fields):
    data = {**fields, "file": [(io.BytesIO(body), name) for name, body in files]}
    return client.post(url, data=data, headers={"X-CSRFToken": token}, content_type="multipart/form-data")


def stored(app) -> tuple[int, list[str]]:
    folder = app.config["ATTACHMENT_DIR"]
    with app.app_context():
        rows = db.session.scalar(sa.select(sa.func.count(Attachment.id)))
    return rows, sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_a_customer_photo_reaches_the_agent_live_without_its_metadata(world):
    app, ids = world
    casey, token = client_as(app, "casey@example.com")
    response = upload(casey, token, "/api/chat/attachments", [("damage.jpg", jpeg_with_gps())],
                      conversation_id=ids["conversation"], text="The box was crushed")
    assert response.status_code == 201, response.get_json()
    sent = response.get_json()["message"]["attachments"][0]
    assert (sent["name"], sent["kind"], sent["type"]) == ("damage.jpg", "image", "image/jpeg")
    with app.app_context():  # announced like any message, for the agent's console
        event = db.session.scalars(sa.select(ChatEvent).where(ChatEvent.kind == "message")
                                   .order_by(ChatEvent.id.desc())).first()
        assert event.data["attachments"][0]["id"] == sent["id"]
    ann, _ = client_as(app, "ann@example.com")
    detail = ann.get(f"/api/agent/tickets/{ids['number']}").get_json()
    assert [a["id"] for m in detail["messages"] for a in m.get("attachments", [])] == [sent["id"]]
    for url in (sent["url"], sent["preview"]):
        served = ann.get(url)
        assert served.status_code == 200
        image = Image.open(io.BytesIO(served.data))
        assert dict(image.getexif()) == {} and not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert b"SpyCam" not in served.data
    full = casey.get(sent["url"])
    assert full.headers["Content-Type"] == "image/jpeg"
    assert full.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in full.headers["Content-Security-Policy"]
    assert full.headers["Content-Disposition"].startswith("inline")
    assert "private" in full.headers["Cache-Control"]


def test_an_agent_pdf_on_the_ticket_page_is_a_download_for_the_customer(world):
    app, ids = world
    ann, token = client_as(app, "ann@example.com")
    response = ann.post(f"/staff/tickets/{ids['number']}/attachments",
                        data={"file": (io.BytesIO(PDF), "refund.pdf"), "csrf_token": token},
                        content_type="multipart/form-data")
    assert response.status_code == 303
    casey, _ = client_as(app, "casey@example.com")
    page = casey.get(f"/tickets/{ids['number']}").get_data(as_text=True)
    with app.app_context():
        row = db.session.scalar(sa.select(Attachment))
        assert (row.kind, row.sender, row.sha256 is not None) == ("pdf", "agent", True)
    assert f"/attachments/{row.public_id}" in page and "refund.pdf" in page
    served = casey.get(f"/attachments/{row.public_id}")
    assert served.status_code == 200 and served.data == PDF
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment") and "refund.pdf" in \
        served.headers["Content-Disposition"]
    assert casey.get(f"/attachments/{row.public_id}/preview").status_code == 404  # a PDF has no preview


def test_the_customer_attaches_on_their_ticket_page(world):
    app, ids = world
    casey, token = client_as(app, "casey@example.com")
    response = casey.post(f"/tickets/{ids['number']}/attachments",
                          data={"file": (io.BytesIO(image_bytes("PNG")), "statement.png"), "csrf_token": token},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    page = casey.get(f"/tickets/{ids['number']}").get_data(as_text=True)
    assert "statement.png" in page and "/preview" in page
    ann, _ = client_as(app, "ann@example.com")
    assert "statement.png" in ann.get(f"/staff/tickets/{ids['number']}").get_data(as_text=True)


def test_only_the_chats_people_may_read_a_file(world):
    app, ids = world
    casey, token = client_as(app, "casey@example.com")
    url = upload(casey, token, "/api/chat/attachments", [("a.png", image_bytes("PNG"))],
                 conversation_id=ids["conversation"]).get_json()["message"]["attachments"][0]["url"]
    supervisor_email = "sue@example.com"
    with app.app_context():
        person(supervisor_email, ["supervisor"], "Sue Super")
    assert client_as(app, supervisor_email)[0].get(url).status_code == 200
    for who in ("robin@example.com", "tom@example.com", None):  # another customer, another team, anonymous
        client, _ = client_as(app, who)
        assert client.get(url).status_code == 404, who
        assert client.get(url + "/preview").status_code == 404, who
    for wrong in ("/attachments/" + "0" * 32, "/attachments/../../etc/passwd", "/attachments/1",
                  "/attachments/" + "A" * 32):
        assert casey.get(wrong).status_code == 404, wrong


def test_another_visitor_never_sees_a_visitors_file(world):
    app, _ = world
    visitor, token = client_as(app, None)
    response = upload(visitor, token, "/api/chat/attachments", [("a.webp", image_bytes("WEBP"))])
    assert response.status_code == 201  # starts a chat, kept for a person; the bot says it can't look
    body = response.get_json()
    assert body["replies"] and body["replies"][0]["sender"] == "system"
    url = body["message"]["attachments"][0]["url"]
    assert visitor.get(url).status_code == 200
    other, _ = client_as(app, None)
    assert other.get(url).status_code == 404
    other_token = page_token(other)
    refused = upload(other, other_token, "/api/chat/attachments", [("b.png", image_bytes("PNG"))],
                     conversation_id=body["conversation_id"])
    assert refused.status_code == 404


@pytest.mark.parametrize("files,status", [
    ([("page.png", HTML)], 415),
    ([("logo.svg", SVG)], 415),
    ([("empty.png", b"")], 400),
    ([("../../x.png", image_bytes("PNG"))], 400),
    ([("x.png\x00.html", image_bytes("PNG"))], 400),
    ([("ok.png", image_bytes("PNG")), ("bad.png", HTML)], 415),  # one bad file: none is kept
    ([(f"{i}.png", image_bytes("PNG")) for i in range(6)], 400),  # more than ATTACHMENT_MAX_PER_MESSAGE
    ([], 400),
], ids=["html-as-png", "svg", "empty", "path", "nul", "one-bad", "too-many", "none"])
def test_bad_files_are_refused_and_nothing_is_stored(world, files, status):
    app, ids = world
    casey, token = client_as(app, "casey@example.com")
    with app.app_context():
        messages = db.session.scalar(sa.select(sa.func.count(Message.id)))
    response = upload(casey, token, "/api/chat/attachments", files, conversation_id=ids["conversation"])
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["message"]
    assert stored(app) == (0, [])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Message.id))) == messages


def test_size_limits_are_configurable_and_the_body_limit_grows_only_for_uploads(desk):
    with desk.app_context():
        ticket = handoff(customer=person("casey@example.com"), conv_status="live")
        conversation = ticket.conversation.public_id
    desk.config.update(ATTACHMENT_MAX_BYTES=2 * 1024 * 1024)
    casey, token = client_as(desk, "casey@example.com")
    big = image_bytes("PNG", size=(1200, 1200), color="white") + b"\0" * (1024 * 1024 + 200_000)  # 1.2 MB, over 1 MiB
    fine = upload(casey, token, "/api/chat/attachments", [("big.png", big)], conversation_id=conversation)
    assert fine.status_code == 201
    desk.config.update(ATTACHMENT_MAX_BYTES=100_000)
    refused = upload(casey, token, "/api/chat/attachments", [("big.png", big)], conversation_id=conversation)
    assert refused.status_code == 413
    elsewhere = casey.post("/api/chat/messages", data=b"x" * (1024 * 1024 + 1), headers={"X-CSRFToken": token},
                           content_type="application/json")
    assert elsewhere.status_code == 413  # every other route keeps MAX_CONTENT_LENGTH


@pytest.mark.parametrize("who,url", [("casey@example.com", "/tickets/{number}/attachments"),
                                     ("ann@example.com", "/staff/tickets/{number}/attachments")])
def test_a_bad_file_on_a_ticket_page_shows_the_reason_there_and_stores_nothing(world, who, url):
    app, ids = world
    client, token = client_as(app, who)
    response = client.post(url.format(**ids), data={"file": (io.BytesIO(SVG), "chart.png"), "csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 415
    page = response.get_data(as_text=True)
    assert "chart.png" in page and "not a file we accept" in page and 'role="alert"' in page
    assert stored(app) == (0, [])


def test_an_agent_who_does_not_hold_the_chat_cannot_send_files(world):
    app, ids = world
    with app.app_context():
        person("bea@example.com", ["agent"], "Bea Billing", teams=["billing"])  # sees the ticket, does not own it
    bea, token = client_as(app, "bea@example.com")
    response = upload(bea, token, f"/api/agent/tickets/{ids['number']}/attachments", [("a.pdf", PDF)])
    assert response.status_code == 403
    assert stored(app) == (0, [])


def test_a_failure_after_the_files_were_written_removes_them(world, monkeypatch):
    app, ids = world

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("portal.attachments.services.relay_customer_reply", broken)
    casey, token = client_as(app, "casey@example.com")
    response = upload(casey, token, "/api/chat/attachments", [("a.png", image_bytes("PNG"))],
                      conversation_id=ids["conversation"])
    assert response.status_code == 500
    assert stored(app) == (0, [])


def test_a_retried_agent_upload_keeps_the_files_once(world):
    """The console resends with the same client_id after a lost answer: the first message is the
    answer again, and no second copy of its files is written (rows nothing lists)."""
    app, ids = world
    ann, token = client_as(app, "ann@example.com")
    url = f"/api/agent/tickets/{ids['number']}/attachments"
    first = upload(ann, token, url, [("a.png", image_bytes("PNG"))], client_id="retry-after-timeout")
    again = upload(ann, token, url, [("a.png", image_bytes("PNG"))], client_id="retry-after-timeout")
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert stored(app)[0] == 1 and len(stored(app)[1]) == 2  # one row: the file and its preview
