"""Files customers and agents attach in chat and on tickets: images and PDF, checked by their
content, kept outside the web root, and served only to the people who may read the chat."""

from flask import Blueprint

bp = Blueprint("attachments", __name__)

# The routes that take files: the only ones whose body may be larger than MAX_CONTENT_LENGTH.
UPLOAD_ENDPOINTS = frozenset({"attachments.chat_upload", "attachments.ticket_upload",
                              "attachments.agent_upload", "attachments.staff_upload"})


def init_app(app) -> None:
    from flask import request

    from portal.attachments import models, views  # noqa: F401  (tables, routes)

    def allow_uploads():
        """Before anything reads the body (CSRFProtect reads the form): the upload routes take
        ATTACHMENT_MAX_PER_MESSAGE files of ATTACHMENT_MAX_BYTES, every other route keeps the limit."""
        if request.endpoint in UPLOAD_ENDPOINTS:
            config = app.config
            request.max_content_length = (config["ATTACHMENT_MAX_BYTES"] * config["ATTACHMENT_MAX_PER_MESSAGE"]
                                          + config["MAX_CONTENT_LENGTH"])

    app.before_request_funcs.setdefault(None, []).insert(0, allow_uploads)
    app.register_blueprint(bp)
