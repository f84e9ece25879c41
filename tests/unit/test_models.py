"""Model semantics: construction, lossless round trips, dates, secrets in repr."""

import copy
import datetime
import json
import pickle

import pytest

from genesyscloud import NULL, Model
from genesyscloud.models import DomainEntityRef, OAuthClient, OAuthClientRequest, User, UserEntityListing


def test_keyword_constructor_and_wire_format():
    c = OAuthClientRequest(name="reporting", authorized_grant_type="CLIENT-CREDENTIALS", access_token_validity_seconds=600,
                           role_divisions=[{"role_id": "r1", "division_id": "d1"}])
    assert c.to_dict() == {"name": "reporting", "authorizedGrantType": "CLIENT-CREDENTIALS",
                           "accessTokenValiditySeconds": 600, "roleDivisions": [{"roleId": "r1", "divisionId": "d1"}]}
    assert c.role_divisions[0].role_id == "r1"
    assert json.loads(c.to_json()) == c.to_dict()


def test_constructor_rejects_unknown_fields_and_wrong_types():
    with pytest.raises(TypeError, match="OAuthClientRequest.*unexpected keyword argument 'nmae'"):
        OAuthClientRequest(nmae="x")
    with pytest.raises(TypeError, match=r"OAuthClientRequest.access_token_validity_seconds: expected int, got str"):
        OAuthClientRequest(access_token_validity_seconds="600")
    with pytest.raises(TypeError, match="expected list of str"):
        OAuthClientRequest(scope="admin")


def test_unknown_fields_enum_values_nulls_and_date_text_survive_a_round_trip():
    wire = {
        "id": "c1", "name": "n", "authorizedGrantType": "SOMETHING-NEW", "dateCreated": "2024-01-02T03:04:05Z",
        "description": None, "brandNewField": {"a": [1, 2]},
        "createdBy": {"id": "u1", "selfUri": "/api/v2/users/u1", "extra": True},
    }
    original = copy.deepcopy(wire)
    c = OAuthClient.from_dict(wire)
    assert c.authorized_grant_type == "SOMETHING-NEW"
    assert c.date_created == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert c.created_by.id == "u1" and c.description is None
    c.name = "renamed"
    c.created_by.name = "Ann"
    out = c.to_dict()
    assert out == {**original, "name": "renamed", "createdBy": {**original["createdBy"], "name": "Ann"}}
    assert out["dateCreated"] == "2024-01-02T03:04:05Z"  # exactly as received
    assert c.extra_fields == {"brandNewField": {"a": [1, 2]}}


def test_dates_set_by_the_caller_use_the_api_format():
    c = OAuthClient(name="n", date_created=datetime.datetime(2024, 1, 2, 3, 4, 5, 678900, tzinfo=datetime.timezone.utc))
    assert c.to_dict()["dateCreated"] == "2024-01-02T03:04:05.678Z"
    c.date_created = "2024-05-06T07:08:09.000Z"
    assert c.date_created.year == 2024 and c.to_dict()["dateCreated"] == "2024-05-06T07:08:09.000Z"
    with pytest.raises(ValueError):
        c.date_created = "yesterday"


def test_none_omits_and_null_sends_null():
    c = OAuthClient.from_dict({"name": "n", "description": "d"})
    c.description = None
    assert c.to_dict() == {"name": "n"}
    c.description = NULL
    assert c.to_dict() == {"name": "n", "description": None}


def test_lazy_listing_decoding_and_equality():
    page = UserEntityListing.from_dict({"entities": [{"id": str(i), "name": f"u{i}"} for i in range(100)], "total": 100})
    assert [u.name for u in page.entities][:2] == ["u0", "u1"]
    assert isinstance(page.entities[0], User)
    assert page == UserEntityListing.from_dict(page.to_dict())
    assert page != UserEntityListing.from_dict({"total": 100})
    assert pickle.loads(pickle.dumps(page)) == page
    assert copy.deepcopy(page) == page


def test_repr_is_readable_and_hides_secrets():
    c = OAuthClient.from_dict({"id": "c1", "name": "n", "secret": "s3cr3t-value", "x": 1})
    text = repr(c)
    assert "s3cr3t" not in text
    assert "name='n'" in text and "secret='***'" in text and "extra_fields=['x']" in text


def test_item_access_and_iteration():
    ref = DomainEntityRef.from_dict({"id": "1", "selfUri": "/x", "other": 2})
    assert ref["selfUri"] == "/x" and ref["self_uri"] == "/x" and ref["other"] == 2
    assert dict(ref) == {"id": "1", "self_uri": "/x"}
    with pytest.raises(KeyError):
        ref["missing"]


def test_from_dict_rejects_non_objects():
    with pytest.raises(TypeError, match="expects a dict"):
        User.from_dict(["not", "an", "object"])
    assert issubclass(User, Model)
