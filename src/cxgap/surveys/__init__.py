"""Listening: surveys cxgap hosts itself. Definitions and their versions (`definition`, `templates`,
`catalog`), respondent links and answers (`tokens`, `links`, `answers`), invitations with contact-frequency
rules (`contacts`, `invitations`), and response rates with nonresponse weights (`rates`, `weighting`)."""

from cxgap.surveys.definition import Question, SurveyDefinition

__all__ = ["Question", "SurveyDefinition"]
