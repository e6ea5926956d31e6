from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from portal.forms import Form


class VoteForm(Form):
    helpful = HiddenField(validators=[DataRequired(), AnyOf(["yes", "no"], "Answer yes or no.")])
    comment = TextAreaField("Anything we should add or fix? (optional)",
                            validators=[Length(max=1000, message="Comments are limited to 1,000 characters.")])


class DraftForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField("Summary (shown in search results)", validators=[Length(max=500)])
    category = SelectField("Topic", validators=[DataRequired()])
    tags = StringField("Tags, separated by commas", validators=[Length(max=300)])
    body = TextAreaField("Article (Markdown)", validators=[DataRequired(), Length(max=50_000)])


class ActionForm(Form):
    """A button that changes something: only the CSRF token."""
