"""The Alibaba Cloud SMS adapter against a local fake ``dysmsapi`` that checks every request the way
the real service does (recomputing the signature with its own code) and answers OK or an error."""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from linli.notify import aliyun
from linli.notify.aliyun import AliyunSmsGateway
from linli.notify.models import DeliveryStatus
from linli.notify.sms import SmsError, SmsResult, get_gateway

ACCESS_KEY_ID = "LTAI-test-id"
ACCESS_KEY_SECRET = "fake-secret/+="
PHONE = "13912345678"


def rfc3986(value: str) -> str:
    return quote(value, safe="-_.~")


def expected_signature(query: dict[str, str], secret: str) -> str:
    """Signature version 1.0, written independently of the adapter."""
    pairs = sorted((key, value) for key, value in query.items() if key != "Signature")
    canonical = "&".join(f"{rfc3986(key)}={rfc3986(value)}" for key, value in pairs)
    to_sign = "GET&" + rfc3986("/") + "&" + rfc3986(canonical)
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


@dataclass
class FakeDysmsapi:
    url: str = ""
    secret: str = ACCESS_KEY_SECRET
    requests: list[dict[str, str]] = field(default_factory=list)
    raw_paths: list[str] = field(default_factory=list)
    reply: dict[str, Any] = field(
        default_factory=lambda: {
            "Code": "OK",
            "Message": "OK",
            "BizId": "900619746936498440^0",
            "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
        }
    )
    status: int = 200
    raw_body: bytes | None = None
    delay: float = 0.0


def refusal(code: str) -> dict[str, str]:
    return {"Code": code, "Message": "refused", "RequestId": "0A974B78-02BF-4C79-ADF3-90CFBA1B55B1"}


def check(fake: FakeDysmsapi, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    fixed = {
        "Action": "SendSms",
        "Format": "JSON",
        "RegionId": "cn-hangzhou",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "Version": "2017-05-25",
        "AccessKeyId": ACCESS_KEY_ID,
    }
    for name, value in fixed.items():
        if query.get(name) != value:
            return 400, refusal(f"MissingOrWrong.{name}")
    for name in (
        "PhoneNumbers",
        "SignName",
        "TemplateCode",
        "TemplateParam",
        "SignatureNonce",
        "Timestamp",
        "Signature",
    ):
        if not query.get(name):
            return 400, refusal(f"Missing{name}")
    if not hmac.compare_digest(query["Signature"], expected_signature(query, fake.secret)):
        return 400, refusal("SignatureDoesNotMatch")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", query["Timestamp"]):
        return 400, refusal("InvalidTimeStamp.Format")
    sent = calendar.timegm(time.strptime(query["Timestamp"], "%Y-%m-%dT%H:%M:%SZ"))
    if abs(sent - time.time()) > 15 * 60:
        return 400, refusal("InvalidTimeStamp.Expired")
    json.loads(query["TemplateParam"])
    return fake.status, fake.reply


@pytest.fixture
def fake_dysmsapi() -> Iterator[FakeDysmsapi]:
    fake = FakeDysmsapi()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
            fake.raw_paths.append(self.path)
            fake.requests.append(query)
            if fake.delay:
                time.sleep(fake.delay)
            if fake.raw_body is not None:
                status, body = fake.status, fake.raw_body
            else:
                status, reply = check(fake, query)
                body = json.dumps(reply).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (timeout test)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def config(fake: FakeDysmsapi, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "endpoint": fake.url,
        "access_key_id": ACCESS_KEY_ID,
        "access_key_secret": ACCESS_KEY_SECRET,
        "sign_name": "邻里社区",
        "template_code": "SMS_154950909",
    }
    values.update(overrides)
    return values


# --- the signature ---------------------------------------------------------------------------------

DOCUMENTED_EXAMPLE = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}


def test_signature_matches_the_documented_example() -> None:
    """The worked example of Alibaba Cloud's RPC signature documentation (secret ``testsecret``)."""
    assert aliyun.string_to_sign(DOCUMENTED_EXAMPLE) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    assert aliyun.sign(DOCUMENTED_EXAMPLE, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_percent_encoding_follows_rfc_3986() -> None:
    assert aliyun.percent_encode("a b*c~d+e/f") == "a%20b%2Ac~d%2Be%2Ff"
    assert aliyun.percent_encode("邻") == "%E9%82%BB"


def test_request_parameters_are_complete_and_signed() -> None:
    gateway = AliyunSmsGateway(
        {
            "endpoint": "http://unused/",
            "access_key_id": "id",
            "access_key_secret": "secret",
            "sign_name": "邻里",
            "template_code": "SMS_1",
        }
    )
    import datetime

    parameters = gateway.request_parameters(
        PHONE,
        template_code="SMS_1",
        template_parameters={"code": "123456"},
        now=datetime.datetime(2026, 11, 30, 8, 5, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=8))),
        nonce="nonce-1",
    )

    assert parameters == {
        "AccessKeyId": "id",
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": PHONE,
        "RegionId": "cn-hangzhou",
        "SignName": "邻里",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "nonce-1",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_1",
        "TemplateParam": '{"code":"123456"}',
        "Timestamp": "2026-11-30T00:05:09Z",
        "Version": "2017-05-25",
        "Signature": expected_signature(
            {key: value for key, value in parameters.items() if key != "Signature"}, "secret"
        ),
    }


# --- against the fake service ----------------------------------------------------------------------


def test_accepted_message_returns_the_biz_id(fake_dysmsapi: FakeDysmsapi) -> None:
    gateway = AliyunSmsGateway(config(fake_dysmsapi))

    result = gateway.send(
        PHONE, "停水通知", template="notification", parameters={"title": "停水", "message": "明天停水"}
    )

    assert result == SmsResult(reference="900619746936498440^0")
    (query,) = fake_dysmsapi.requests
    assert query["PhoneNumbers"] == PHONE
    assert query["SignName"] == "邻里社区"
    assert query["TemplateCode"] == "SMS_154950909"
    assert json.loads(query["TemplateParam"]) == {"title": "停水", "message": "明天停水"}
    assert uuid.UUID(query["SignatureNonce"]).version == 4
    assert fake_dysmsapi.raw_paths[0].startswith("/?Signature=")


def test_every_request_has_a_fresh_nonce(fake_dysmsapi: FakeDysmsapi) -> None:
    gateway = AliyunSmsGateway(config(fake_dysmsapi))

    gateway.send(PHONE, "a b", parameters={"code": "111111"})
    gateway.send(PHONE, "a b", parameters={"code": "222222"})

    nonces = {query["SignatureNonce"] for query in fake_dysmsapi.requests}
    assert len(nonces) == 2


def test_free_text_travels_as_a_template_variable(fake_dysmsapi: FakeDysmsapi) -> None:
    AliyunSmsGateway(config(fake_dysmsapi)).send(PHONE, "您好 world*~")

    assert json.loads(fake_dysmsapi.requests[0]["TemplateParam"]) == {"message": "您好 world*~"}


def test_named_templates_map_to_their_codes(fake_dysmsapi: FakeDysmsapi) -> None:
    gateway = AliyunSmsGateway(config(fake_dysmsapi, templates={"login_code": "SMS_LOGIN"}))

    gateway.send(PHONE, "code", template="login_code", parameters={"code": "123456"})
    gateway.send(PHONE, "other", template="notification")

    assert [query["TemplateCode"] for query in fake_dysmsapi.requests] == ["SMS_LOGIN", "SMS_154950909"]


def test_a_wrong_secret_is_refused_by_the_provider(fake_dysmsapi: FakeDysmsapi) -> None:
    gateway = AliyunSmsGateway(config(fake_dysmsapi, access_key_secret="not-the-secret"))

    with pytest.raises(SmsError) as refused:
        gateway.send(PHONE, "x")

    assert (refused.value.code, refused.value.retryable) == ("SignatureDoesNotMatch", False)


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", False),
        ("isv.AMOUNT_NOT_ENOUGH", False),
        ("isv.SMS_TEMPLATE_ILLEGAL", False),
        ("isv.BUSINESS_LIMIT_CONTROL", True),
        ("isp.SYSTEM_ERROR", True),
        ("Throttling.User", True),
    ],
)
def test_provider_codes_map_to_sms_errors(fake_dysmsapi: FakeDysmsapi, code: str, retryable: bool) -> None:
    fake_dysmsapi.reply = refusal(code)

    with pytest.raises(SmsError) as refused:
        AliyunSmsGateway(config(fake_dysmsapi)).send(PHONE, "x")

    assert (refused.value.code, refused.value.retryable) == (code, retryable)


def test_a_slow_provider_times_out(fake_dysmsapi: FakeDysmsapi) -> None:
    fake_dysmsapi.delay = 5.0
    started = time.monotonic()

    with pytest.raises(SmsError) as refused:
        AliyunSmsGateway(config(fake_dysmsapi), timeout=0.2).send(PHONE, "x")

    assert (refused.value.code, refused.value.retryable) == ("timeout", True)
    assert time.monotonic() - started < 4.0  # gave up long before the provider answered


def test_an_unreachable_provider_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}/"
    gateway = AliyunSmsGateway(
        {"endpoint": endpoint, "access_key_id": "i", "access_key_secret": "s", "sign_name": "n", "template_code": "t"},
        timeout=1,
    )

    with pytest.raises(SmsError) as refused:
        gateway.send(PHONE, "x")

    assert (refused.value.code, refused.value.retryable) == ("network", True)


@pytest.mark.parametrize(("status", "retryable"), [(502, True), (404, False)])
def test_an_unreadable_reply_is_an_error(fake_dysmsapi: FakeDysmsapi, status: int, retryable: bool) -> None:
    fake_dysmsapi.status = status
    fake_dysmsapi.raw_body = b"<html>Bad Gateway</html>"

    with pytest.raises(SmsError) as refused:
        AliyunSmsGateway(config(fake_dysmsapi)).send(PHONE, "x")

    assert (refused.value.code, refused.value.retryable) == (f"http_{status}", retryable)


def test_missing_configuration_sends_nothing(fake_dysmsapi: FakeDysmsapi) -> None:
    with pytest.raises(SmsError) as refused:
        AliyunSmsGateway(config(fake_dysmsapi, access_key_secret="")).send(PHONE, "x")

    assert (refused.value.code, refused.value.retryable) == ("not_configured", False)
    assert fake_dysmsapi.requests == []


def test_the_phone_number_is_never_logged_in_full(
    fake_dysmsapi: FakeDysmsapi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gateway = AliyunSmsGateway(config(fake_dysmsapi))
    gateway.send(PHONE, "x")
    fake_dysmsapi.reply = refusal("isv.MOBILE_NUMBER_ILLEGAL")
    with pytest.raises(SmsError):
        gateway.send(PHONE, "x")

    messages = [record.getMessage() for record in caplog.records if record.name.startswith("linli")]
    assert any("139****5678" in message for message in messages)
    assert all(PHONE not in message for message in messages)
    assert all(ACCESS_KEY_SECRET not in message for message in messages)


# --- through the platform --------------------------------------------------------------------------


def test_settings_select_the_adapter(settings: Any, fake_dysmsapi: FakeDysmsapi) -> None:
    settings.LINLI_SMS_GATEWAY = "aliyun"
    settings.LINLI_SMS_ALIYUN = config(fake_dysmsapi)

    gateway = get_gateway()

    assert isinstance(gateway, AliyunSmsGateway)
    assert gateway.config["endpoint"] == fake_dysmsapi.url


@pytest.mark.django_db
def test_notification_delivered_through_alibaba_cloud(
    settings: Any, fake_dysmsapi: FakeDysmsapi, resident: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from linli.notify.actions import do_send_notification

    settings.LINLI_SMS_GATEWAY = "aliyun"
    settings.LINLI_SMS_ALIYUN = config(fake_dysmsapi)

    with django_capture_on_commit_callbacks(execute=True):
        notification = do_send_notification(resident, title="停水通知", body="明天停水")

    delivery = notification.deliveries.get()
    assert (delivery.status, delivery.provider_reference) == (DeliveryStatus.SENT, "900619746936498440^0")
    (query,) = fake_dysmsapi.requests
    assert query["PhoneNumbers"] == resident.phone
    assert json.loads(query["TemplateParam"]) == {"title": "停水通知", "message": "停水通知: 明天停水"}


@pytest.mark.django_db
def test_provider_refusal_is_recorded_on_the_delivery(
    settings: Any, fake_dysmsapi: FakeDysmsapi, resident: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from linli.notify.actions import do_send_notification

    settings.LINLI_SMS_GATEWAY = "aliyun"
    settings.LINLI_SMS_ALIYUN = config(fake_dysmsapi)
    fake_dysmsapi.reply = refusal("isv.MOBILE_NUMBER_ILLEGAL")

    with django_capture_on_commit_callbacks(execute=True):
        notification = do_send_notification(resident, title="停水通知", body="明天停水")

    delivery = notification.deliveries.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 1, "sms:isv.MOBILE_NUMBER_ILLEGAL")
    assert delivery.provider_reference == ""


@pytest.mark.django_db
def test_a_retried_delivery_logs_no_phone_number(
    settings: Any, fake_dysmsapi: FakeDysmsapi, resident: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The job queue logs the failure with its traceback; nothing in it may quote the number."""
    from linli.notify import tasks
    from linli.notify.actions import do_send_notification

    settings.LINLI_SMS_GATEWAY = "aliyun"
    settings.LINLI_SMS_ALIYUN = config(fake_dysmsapi, timeout=0.2)
    fake_dysmsapi.delay = 1.0
    delivery = do_send_notification(resident, title="停水通知", body="明天停水").deliveries.get()
    caplog.set_level(logging.INFO)

    tasks.deliver(delivery.id)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("queued", "sms:timeout")
    assert "Unhandled exception in task" in caplog.text  # huey logged the traceback
    assert "sms:timeout" in caplog.text
    assert PHONE not in caplog.text
    assert ACCESS_KEY_SECRET not in caplog.text
