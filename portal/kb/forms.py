from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length


class VoteForm(FlaskForm):
    helpful = HiddenField(validators=[DataRequired(), AnyOf(["yes", "no"], "Answer yes or no.")])
    comment = TextAreaField("Anything we should add or fix? (optional)",
                            validators=[Length(max=1000, message="Comments are limited to 1,000 characters.")])
