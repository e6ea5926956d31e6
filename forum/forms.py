"""Forum forms: they check shape and size; the services decide what is allowed."""

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from forum.services import BODY_MAX, TITLE_MAX, TITLE_MIN
from portal.forms import Form

_BODY = [DataRequired("Write something before posting."),
         Length(max=BODY_MAX, message=f"Posts are limited to {BODY_MAX:,} characters.")]
_TITLE = [DataRequired("Give your thread a title."),
          Length(min=TITLE_MIN, max=TITLE_MAX, message=f"Titles are {TITLE_MIN} to {TITLE_MAX} characters.")]
_TAGS = [Optional(), Length(max=200, message="That is too many tags: add at most 5.")]


class NewThreadForm(Form):
    # The view checks the choice against the categories of the day (with our own message).
    category = SelectField("Category", validators=[DataRequired("Choose a category.")], validate_choice=False)
    title = StringField("Title", validators=_TITLE)
    body = TextAreaField("Your question or idea", validators=_BODY)
    tags = StringField("Tags (optional, up to 5, separated by commas)", validators=_TAGS)


class ReplyForm(Form):
    body = TextAreaField("Your reply", validators=_BODY)
    reply_to = HiddenField(validators=[Optional(), Regexp(r"^\d{1,12}$", message="Unknown post.")])


class EditPostForm(Form):
    title = StringField("Title", validators=[Optional(), *_TITLE[1:]])
    body = TextAreaField("Post", validators=_BODY)
    tags = StringField("Tags (up to 5, separated by commas)", validators=_TAGS)


class ActionForm(Form):
    """A button that changes something (vote, accept, follow): only the CSRF token."""
