import os
import uuid

import pytest
import redis

from tests.factories import DEFAULT_PASSWORD, make_user

REDIS_URL = os.environ.get("CRM_TEST_REDIS_URL")


def test_account_is_throttled_after_repeated_failures(make_app):
    app = make_app(CRM_LOGIN_LIMIT_PER_ACCOUNT="3 per 10 minutes")
    client = app.test_client()
    user = make_user(role="sales")
    for _ in range(3):
        response = client.post("/login", data={"email": user.email, "password": "nope"})
        assert response.status_code == 400
    # Even the right password is refused now, with a page that says when to retry.
    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert b"Too many requests" in response.data
    assert b"try again in" in response.data
    assert int(response.headers["Retry-After"]) > 0
    # Another account from the same address is not affected by this account's limit.
    other = make_user(role="sales")
    response = client.post("/login", data={"email": other.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302


def test_successful_logins_do_not_count(make_app):
    app = make_app(CRM_LOGIN_LIMIT_PER_ACCOUNT="2 per 10 minutes")
    user = make_user(role="sales")
    for _ in range(4):
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 302


def test_ip_is_throttled_across_accounts(make_app):
    app = make_app(CRM_LOGIN_LIMIT_PER_IP="4 per 10 minutes")
    client = app.test_client()
    for n in range(4):
        response = client.post("/login", data={"email": f"guess{n}@example.com", "password": "x"})
        assert response.status_code == 400
    response = client.post("/login", data={"email": "guess9@example.com", "password": "x"})
    assert response.status_code == 429
    # A different address still gets through.
    response = client.post("/login", data={"email": "guess9@example.com", "password": "x"},
                           environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert response.status_code == 400


@pytest.mark.skipif(not REDIS_URL, reason="set CRM_TEST_REDIS_URL to test shared limits")
def test_limits_are_shared_between_app_instances_through_redis(make_app):
    """Two web workers (two apps) count against one Redis: the limit holds across them."""
    prefix = uuid.uuid4().hex
    shared = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix,
              "CRM_LOGIN_LIMIT_PER_ACCOUNT": "2 per 10 minutes"}
    first, second = make_app(**shared), make_app(**shared)
    data = {"email": "someone@example.com", "password": "wrong"}
    assert first.test_client().post("/login", data=data).status_code == 400
    assert second.test_client().post("/login", data=data).status_code == 400
    assert first.test_client().post("/login", data=data).status_code == 429
    assert second.test_client().post("/login", data=data).status_code == 429
    # The counters live in Redis, where every worker process sees them.
    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{prefix}*"))
    assert keys
