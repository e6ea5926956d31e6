"""The one base for the portal's HTML forms.

Flask-WTF fills a form from a JSON body when a request carries one, so a body that is a list, or
a field holding ``[1]`` or ``{"a": 1}``, reached the validators and answered 500. An HTML form
reads what a browser sends it, form-encoded or multipart, and nothing else: with a JSON body the
form is empty and fails validation like any empty submission (the JSON API lives under /api/).
"""

from __future__ import annotations

from flask import has_request_context, request
from flask_wtf import FlaskForm

_FROM_THE_REQUEST = FlaskForm.__init__.__defaults__[0]  # Flask-WTF's "read the request" marker


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if formdata is _FROM_THE_REQUEST and has_request_context() and request.is_json:
                return None  # a form never reads a JSON body
            return super().wrap_formdata(form, formdata)
