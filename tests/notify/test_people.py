"""Who hears of a case: nobody who may not see it."""

from __future__ import annotations

from cxgap.notify.people import Person, case_people

PEOPLE = [
    Person("sam", "team_member", "support", "sam@example.com"),
    Person("flo", "team_lead", "support", "flo@example.com"),
    Person("fay", "team_member", "field_service", "fay@example.com"),
    Person("ana", "analyst", None, "ana@example.com"),
    Person("vic", "viewer", None, "vic@example.com"),
]


def test_a_case_reaches_its_owner_or_team_and_never_a_viewer() -> None:
    assert [p.user_id for p in case_people(PEOPLE, "support", None, with_lead=True)] == ["sam", "flo"]
    assert [p.user_id for p in case_people(PEOPLE, "support", "ana")] == ["ana"]
    assert [p.user_id for p in case_people(PEOPLE, "support", "fay")] == []  # another team's member
    assert case_people(PEOPLE, "support", "vic") == []  # cases name customers: a viewer sees none
