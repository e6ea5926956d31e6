"""The one base for the portal's HTML forms.

Flask-WTF fills a form from a JSON body as well as from a form-encoded one (scripts flag a post
with ``{"reason": "spam"}``), but it passed whatever the JSON held to the fields, so a body that
is a list, or a field holding ``[1]`` or ``{"a": 1}``, reached the validators and answered 500.
Here a JSON body fills a form only with what a form field can hold, text or a whole number; a
body that is not an object leaves the form empty, and a field of another type is left out, so
it fails validation like a missing one (or is ignored where it is optional).
"""

from __future__ import annotations

from flask import has_request_context, request
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict

_FROM_THE_REQUEST = FlaskForm.__init__.__defaults__[0]  # Flask-WTF's "read the request" marker


def form_fields_from_json(data) -> ImmutableMultiDict | None:
    """The fields a form may read from a JSON body: its text and whole-number values."""
    if not isinstance(data, dict):
        return None
    return ImmutableMultiDict({name: str(value) for name, value in data.items()
                               if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))})


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if (formdata is _FROM_THE_REQUEST and has_request_context() and request.is_json
                    and request.method in ("POST", "PUT", "PATCH", "DELETE") and not (request.form or request.files)):
                return form_fields_from_json(request.get_json(silent=True))
            return super().wrap_formdata(form, formdata)
