"""Listening: surveys cxgap hosts itself.

- Definitions and their versions: `definition` (TOML, validated), `templates` (NPS, CSAT, CES, SERVQUAL,
  leaders' beliefs), `catalog` (create, save a version, publish, close).
- Respondents: `tokens` (signed, expiring links), `links`, `answers` (checked against the definition and
  loaded through the import path, once), `anonymous` (public links with a rate limit and a honeypot).
- Invitations: `contacts`, `invitations` and `sending` (triggers, reminders, contact-frequency rules, quiet
  hours, opt-outs; every decision kept), `mail`.
- Who answered: `rates` (AAPOR response rates, respondents against the base), `weighting` (raking, design
  effect, effective n) and `weighted` (scores weighted to the customer base).
"""

from cxgap.surveys.anonymous import HONEYPOT_FIELD, AnonymousGuard, is_bot, open_anonymous
from cxgap.surveys.answers import (
    AnswerProblems,
    LinkExpired,
    LinkUsed,
    Respondent,
    Submission,
    open_link,
    record_consent,
    save_partial,
    submit,
)
from cxgap.surveys.catalog import (
    SurveyConflict,
    SurveyInfo,
    SurveyNotFound,
    SurveyVersionInfo,
    close,
    create_survey,
    definition_of,
    get_survey,
    list_surveys,
    publish,
    save_version,
    surveys_frame,
    versions,
)
from cxgap.surveys.contacts import ContactImport, import_contacts, is_opted_out, opt_out
from cxgap.surveys.definition import (
    Question,
    SurveyDefinition,
    check_against,
    parse_definition,
    to_toml,
)
from cxgap.surveys.invitations import invite, run_invitations
from cxgap.surveys.links import Link, SurveyClosed, link_for, new_invitation
from cxgap.surveys.rates import RespondentComparison, ResponseRates, compare_respondents, response_rates
from cxgap.surveys.sending import InvitationRun
from cxgap.surveys.templates import TEMPLATES, template
from cxgap.surveys.tokens import InvalidLink, read_token, sign_token, survey_secret
from cxgap.surveys.weighted import WeightedScores, weighted_scores
from cxgap.surveys.weighting import Weights, design_effect, effective_n, rake, weighted_mean, weighted_nps

__all__ = [
    "HONEYPOT_FIELD",
    "TEMPLATES",
    "AnonymousGuard",
    "AnswerProblems",
    "ContactImport",
    "InvalidLink",
    "InvitationRun",
    "Link",
    "LinkExpired",
    "LinkUsed",
    "Question",
    "RespondentComparison",
    "Respondent",
    "ResponseRates",
    "Submission",
    "SurveyClosed",
    "SurveyConflict",
    "SurveyDefinition",
    "SurveyInfo",
    "SurveyNotFound",
    "SurveyVersionInfo",
    "WeightedScores",
    "Weights",
    "check_against",
    "close",
    "compare_respondents",
    "create_survey",
    "definition_of",
    "design_effect",
    "effective_n",
    "get_survey",
    "import_contacts",
    "invite",
    "is_bot",
    "is_opted_out",
    "link_for",
    "list_surveys",
    "new_invitation",
    "open_anonymous",
    "open_link",
    "opt_out",
    "parse_definition",
    "publish",
    "rake",
    "read_token",
    "record_consent",
    "response_rates",
    "run_invitations",
    "save_partial",
    "save_version",
    "sign_token",
    "submit",
    "survey_secret",
    "surveys_frame",
    "template",
    "to_toml",
    "versions",
    "weighted_mean",
    "weighted_nps",
    "weighted_scores",
]
