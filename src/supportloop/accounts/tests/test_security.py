"""Two-factor sign-in, lockout, password reset by email, browser sessions and their audit events."""

import re
import time

import pytest
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core import mail
from django.test import Client, override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from supportloop.accounts.choices import Role
from supportloop.accounts.models import RecoveryCode, SignInFailure, UserSession
from supportloop.accounts.services.security import (
    recovery_codes_regenerate,
    security_settings_update,
    totp_enrolment_begin,
    totp_enrolment_confirm,
    two_factor_disable,
)
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.models import Event

PASSWORD = "pw-123456-x"


def totp_now(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    device = totp_enrolment_begin(user=user)
    codes = totp_enrolment_confirm(user=user, code=totp_now(device))
    device.refresh_from_db()
    return device, codes


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def verbs(user=None) -> list[str]:
    qs = Event.objects.order_by("id")
    if user is not None:
        qs = qs.filter(target_type="accounts.user", target_id=str(user.pk))
    return list(qs.values_list("verb", flat=True))


# -- enrolment ---------------------------------------------------------------------------------------------------------


def test_enrolment_needs_the_current_code_and_returns_ten_codes_stored_only_as_hashes(make_user):
    user = make_user(Role.AGENT)
    device = totp_enrolment_begin(user=user)
    assert totp_enrolment_begin(user=user).pk == device.pk  # a reload shows the same secret
    with pytest.raises(ValidationFailed):
        totp_enrolment_confirm(user=user, code="000000" if totp_now(device) != "000000" else "111111")
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    codes = totp_enrolment_confirm(user=user, code=totp_now(device))
    assert (
        len(codes) == 10 and len(set(codes)) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    )
    stored = list(RecoveryCode.objects.filter(device__user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not set(codes) & set(stored) and not {c.replace("-", "") for c in codes} & set(stored)
    assert "two_factor.enabled" in verbs(user)
    with pytest.raises(Conflict):
        totp_enrolment_begin(user=user)


def test_disable_needs_the_password_and_is_audited(make_user):
    user = make_user(Role.AGENT)
    enrol(user)
    with pytest.raises(ValidationFailed):
        two_factor_disable(user=user, password="wrong", actor=user)
    assert TOTPDevice.objects.filter(user=user).exists()
    two_factor_disable(user=user, password=PASSWORD, actor=user)
    assert not TOTPDevice.objects.filter(user=user).exists() and not RecoveryCode.objects.filter(device__user=user)
    assert verbs(user)[-1] == "two_factor.disabled"


def test_regenerated_codes_replace_the_old_ones(make_user):
    user = make_user(Role.AGENT)
    _device, old = enrol(user)
    with pytest.raises(ValidationFailed):
        recovery_codes_regenerate(user=user, password="nope")
    new = recovery_codes_regenerate(user=user, password=PASSWORD)
    assert not set(old) & set(new)
    client = Client()
    sign_in(client, user.username)
    assert client.post("/login/verify/", {"code": old[0]}).status_code == 200  # refused: the page again
    response = client.post("/login/verify/", {"code": new[0].upper()})
    assert response.status_code == 302 and response["Location"] == "/"


# -- the second step of sign-in ----------------------------------------------------------------------------------------


def test_a_user_with_two_factor_reaches_nothing_until_the_code_and_the_api_session_is_refused(make_user):
    user = make_user(Role.AGENT)
    device, _codes = enrol(user)
    client = Client()
    response = sign_in(client, user.username)
    assert response.status_code == 302
    inbox = client.get("/")
    assert inbox.status_code == 302 and inbox["Location"].startswith("/login/verify/?next=")
    assert client.get("/settings/tokens/")["Location"].startswith("/login/verify/")
    assert client.get("/api/v1/users/me").status_code == 401  # the session is not a session to the API yet
    page = client.get("/login/verify/")
    assert page.status_code == 200 and "authenticator app" in page.content.decode()
    # The enrolment spent this time step's code (each code works once): the next step's is within tolerance.
    response = client.post(
        "/login/verify/?next=/settings/tokens/", {"code": totp_now(device, 1), "next": "/settings/tokens/"}
    )
    assert response.status_code == 302 and response["Location"] == "/settings/tokens/"
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/users/me").status_code == 200
    assert verbs(user)[-2:] == ["sign_in.succeeded", "sign_in.verified"]


def test_a_totp_code_is_accepted_once(make_user):
    user = make_user(Role.AGENT)
    device, _codes = enrol(user)
    code = totp_now(device, offset_steps=1)  # the next step's code: not the one enrolment used
    first = Client()
    sign_in(first, user.username)
    assert first.post("/login/verify/", {"code": code})["Location"] == "/"
    second = Client()
    sign_in(second, user.username)
    response = second.post("/login/verify/", {"code": code})
    assert response.status_code == 200 and "That code is not right" in response.content.decode()
    assert second.get("/")["Location"].startswith("/login/verify/")
    failure = SignInFailure.objects.get(outcome="second_factor")
    assert failure.user == user and "pw-" not in failure.detail
    assert "sign_in.failed" in verbs()


def test_a_recovery_code_works_once_and_its_use_is_audited(make_user):
    user = make_user(Role.AGENT)
    _device, codes = enrol(user)
    client = Client()
    sign_in(client, user.username)
    assert client.post("/login/verify/", {"code": codes[3].replace("-", " ")})["Location"] == "/"
    event = Event.objects.filter(verb="two_factor.recovery_code_used").get()
    assert event.changes["recovery_codes_left"] == [10, 9]
    again = Client()
    sign_in(again, user.username)
    assert again.post("/login/verify/", {"code": codes[3]}).status_code == 200
    assert again.get("/").status_code == 302


@override_settings(SUPPORTLOOP_TWO_FACTOR_LIMIT=3)
def test_wrong_codes_lock_the_second_step_with_a_time_to_retry(make_user):
    user = make_user(Role.AGENT)
    device, _codes = enrol(user)
    client = Client()
    sign_in(client, user.username)
    wrong = "123456" if totp_now(device) != "123456" else "654321"
    for _ in range(3):
        client.post("/login/verify/", {"code": wrong})
    response = client.post("/login/verify/", {"code": totp_now(device)})  # right, but no longer checked
    body = response.content.decode()
    assert response.status_code == 200 and "Try again in 15 minutes" in body
    assert client.get("/").status_code == 302
    assert SignInFailure.objects.filter(outcome="locked_out", user=user).count() == 1
    assert "sign_in.locked_out" in verbs()


def test_a_role_that_must_use_two_factor_is_sent_to_enrolment_and_nowhere_else(make_user):
    admin = make_user(Role.ADMIN)
    security_settings_update(two_factor_roles=[Role.LEAD, Role.ADMIN], actor=admin)
    lead = make_user(Role.LEAD)
    agent = make_user(Role.AGENT)
    client = Client()
    sign_in(client, lead.username)
    assert client.get("/")["Location"].startswith("/account/two-factor/")
    assert client.get("/account/security/")["Location"].startswith("/account/two-factor/")
    page = client.get("/account/two-factor/")
    assert page.status_code == 200 and "Your role must use two-factor sign-in" in page.content.decode()
    assert "<svg" in page.content.decode() and "<script" not in page.content.decode().split("<main", 1)[1]
    device = TOTPDevice.objects.get(user=lead, confirmed=False)
    response = client.post("/account/two-factor/", {"code": totp_now(device)})
    assert response.status_code == 200 and "Save these recovery codes now" in response.content.decode()
    assert client.get("/").status_code == 200
    other = Client()
    sign_in(other, agent.username)
    assert other.get("/").status_code == 200  # agents are not required
    assert Event.objects.filter(verb="security_settings.updated").count() == 1


def test_only_admins_change_the_security_settings(make_user):
    lead = make_user(Role.LEAD)
    client = Client()
    client.force_login(lead)
    assert client.get("/settings/security/").status_code == 403
    assert client.post("/settings/security/", {"two_factor_roles": ["agent"]}).status_code == 403
    admin = make_user(Role.ADMIN)
    client.force_login(admin)
    assert client.post("/settings/security/", {"two_factor_roles": ["agent", "lead"]}).status_code == 302
    assert client.post("/settings/security/", {"two_factor_roles": ["root"]}).status_code == 200  # invalid choice
    from supportloop.accounts.selectors import two_factor_roles

    assert two_factor_roles() == ["lead", "agent"]


# -- sign-in audit and lockout -----------------------------------------------------------------------------------------


@override_settings(SUPPORTLOOP_SIGN_IN_ACCOUNT_LIMIT=2)
def test_every_sign_in_and_failure_is_audited_and_a_lockout_says_when_to_retry(make_user):
    user = make_user(Role.AGENT)
    client = Client()
    sign_in(client, user.username, "wrong-1")
    sign_in(client, user.username, "wrong-2")
    response = sign_in(client, user.username)  # the right password, refused: the account is locked
    assert response.status_code == 200 and "Try again in 15 minutes" in response.content.decode()
    events = list(Event.objects.filter(verb__startswith="sign_in.").order_by("id"))
    assert [e.verb for e in events] == ["sign_in.failed", "sign_in.failed", "sign_in.locked_out"]
    assert all("wrong-" not in str(e.changes) and e.changes["user"] == [None, user.pk] for e in events)
    unknown = sign_in(Client(), "nobody", "x")
    assert unknown.status_code == 200 and Event.objects.filter(verb="sign_in.failed").count() == 3


def test_a_successful_sign_in_is_audited_with_its_session_row(make_user):
    user = make_user(Role.AGENT)
    client = Client()
    sign_in(client, user.username, HTTP_USER_AGENT="Firefox/140 on Linux")
    row = UserSession.objects.get(user=user)
    assert row.session_key == client.session.session_key and row.user_agent == "Firefox/140 on Linux"
    event = Event.objects.filter(verb="sign_in.succeeded").get()
    assert event.changes["second_factor"] == [None, "not required"]
    client.post("/logout/")
    assert not UserSession.objects.filter(user=user).exists()


# -- sessions ----------------------------------------------------------------------------------------------------------


def test_sessions_are_listed_and_another_one_can_be_revoked_but_not_someone_elses(make_user):
    user = make_user(Role.AGENT)
    other_user = make_user(Role.AGENT)
    laptop, phone, stranger = Client(), Client(), Client()
    sign_in(laptop, user.username, HTTP_USER_AGENT="Laptop browser")
    sign_in(phone, user.username, HTTP_USER_AGENT="Phone browser")
    sign_in(stranger, other_user.username)
    page = laptop.get("/account/security/").content.decode()
    assert "Laptop browser" in page and "Phone browser" in page and "this browser" in page
    phone_row = UserSession.objects.get(user_agent="Phone browser")
    stranger_row = UserSession.objects.get(user=other_user)
    assert laptop.post(f"/account/sessions/{stranger_row.pk}/revoke/").status_code == 404
    assert stranger.get("/").status_code == 200
    assert laptop.post(f"/account/sessions/{phone_row.pk}/revoke/").status_code == 302
    assert phone.get("/").status_code == 302  # signed out: its session left the store
    assert not SessionStore().exists(phone_row.session_key)
    assert laptop.get("/").status_code == 200
    assert Event.objects.filter(verb="session.revoked", target_id=str(user.pk)).count() == 1
    current = UserSession.objects.get(user=user)
    laptop.post(f"/account/sessions/{current.pk}/revoke/")  # one's own current session: refused (sign out instead)
    assert laptop.get("/").status_code == 200


def test_revoke_all_others_keeps_the_current_session(make_user):
    user = make_user(Role.AGENT)
    clients = [Client() for _ in range(3)]
    for c in clients:
        sign_in(c, user.username)
    assert clients[0].post("/account/sessions/revoke-others/").status_code == 302
    assert [c.get("/").status_code for c in clients] == [200, 302, 302]
    assert UserSession.objects.filter(user=user).count() == 1


def test_last_seen_is_written_at_most_every_few_minutes(make_user, django_assert_num_queries):
    user = make_user(Role.AGENT)
    client = Client()
    sign_in(client, user.username)
    row = UserSession.objects.get(user=user)
    client.get("/account/security/")
    assert UserSession.objects.get(pk=row.pk).last_seen_at == row.last_seen_at
    session = client.session
    session["sl_seen"] = int(time.time()) - 3600
    session.save()
    client.get("/account/security/")
    assert UserSession.objects.get(pk=row.pk).last_seen_at > row.last_seen_at


# -- password reset ----------------------------------------------------------------------------------------------------


def test_reset_answers_the_same_for_unknown_addresses_and_mails_only_known_ones(make_user):
    user = make_user(Role.AGENT)
    client = Client()
    known = client.post("/password-reset/", {"email": user.email})
    unknown = client.post("/password-reset/", {"email": "nobody@nowhere.example"})
    assert known.status_code == unknown.status_code == 302 and known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    assert "/password-reset/" in mail.outbox[0].body
    assert verbs(user)[-1] == "password_reset.requested"


def test_reset_link_works_once_and_signs_every_session_out(make_user):
    user = make_user(Role.AGENT)
    signed_in = Client()
    sign_in(signed_in, user.username)
    client = Client()
    client.post("/password-reset/", {"email": user.email})
    link = re.search(r"http://\S+(/password-reset/\S+/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "brand-new-Secret-77", "new_password2": "brand-new-Secret-77"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/done/"
    user.refresh_from_db()
    assert user.check_password("brand-new-Secret-77")
    assert signed_in.get("/").status_code == 302 and not UserSession.objects.filter(user=user).exists()
    again = Client().get(link, follow=True)
    assert "This link no longer works" in again.content.decode()
    assert verbs(user)[-1] == "password_reset.completed"


def test_an_expired_reset_link_is_refused(make_user, settings):
    user = make_user(Role.AGENT)
    Client().post("/password-reset/", {"email": user.email})
    link = re.search(r"http://\S+(/password-reset/\S+/\S+/)", mail.outbox[0].body).group(1)
    settings.PASSWORD_RESET_TIMEOUT = -1
    assert "This link no longer works" in Client().get(link, follow=True).content.decode()


@override_settings(SUPPORTLOOP_PASSWORD_RESET_RATE="2/h")
def test_reset_requests_are_rate_limited_per_address_and_per_email(make_user):
    user = make_user(Role.AGENT)
    for i in range(2):
        Client(REMOTE_ADDR=f"10.0.0.{i + 1}").post("/password-reset/", {"email": user.email})
    third = Client(REMOTE_ADDR="10.0.0.9").post("/password-reset/", {"email": user.email})
    assert third.status_code == 302 and len(mail.outbox) == 2  # same answer, no third mail to the same inbox
    client = Client(REMOTE_ADDR="10.0.1.1")
    client.post("/password-reset/", {"email": "a@x.example"})
    client.post("/password-reset/", {"email": "b@x.example"})
    refused = client.post("/password-reset/", {"email": "c@x.example"})
    assert refused.status_code == 200 and "Too many reset requests" in refused.content.decode()


def test_the_admin_login_leads_to_the_code_step_too(make_user):
    admin = make_user(Role.ADMIN)
    enrol(admin)
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": admin.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/")["Location"].startswith("/login/verify/?next=%2Fadmin%2F")
    assert client.get("/admin/accounts/user/").status_code == 302


def test_a_required_role_cannot_turn_two_factor_off(make_user):
    admin = make_user(Role.ADMIN)
    lead = make_user(Role.LEAD)
    enrol(lead)
    security_settings_update(two_factor_roles=[Role.LEAD], actor=admin)
    with pytest.raises(Conflict):
        two_factor_disable(user=lead, password=PASSWORD, actor=lead)
    assert TOTPDevice.objects.filter(user=lead, confirmed=True).exists()


def test_a_password_change_signs_the_other_sessions_out_and_keeps_this_one_listed(make_user):
    user = make_user(Role.AGENT)
    here, elsewhere = Client(), Client()
    sign_in(here, user.username, HTTP_USER_AGENT="Here")
    sign_in(elsewhere, user.username, HTTP_USER_AGENT="Elsewhere")
    response = here.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "another-Secret-91", "new_password2": "another-Secret-91"},
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200 and elsewhere.get("/").status_code == 302
    row = UserSession.objects.get(user=user)
    assert row.user_agent == "Here" and row.session_key == here.session.session_key
    assert "user.password_changed" in verbs(user)


def test_rows_of_sessions_that_expired_on_their_own_go_at_the_next_sign_in(make_user, settings):
    from datetime import timedelta

    from django.utils import timezone

    user = make_user(Role.AGENT)
    old = UserSession.objects.create(
        user=user, session_key="gone", last_seen_at=timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    )
    client = Client()
    sign_in(client, user.username)
    assert not UserSession.objects.filter(pk=old.pk).exists()
    assert UserSession.objects.filter(user=user).count() == 1
