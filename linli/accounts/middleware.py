"""Session lifecycle (SECURITY.md A5) and per-user preferences (language, elderly mode)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, logout
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import Model, signals
from django.db.models.base import ModelState
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import is_verified as otp_is_verified

from linli.accounts.models import StaffTOTPDevice, User, UserSession

SESSION_RECORD_KEY = "linli_session_id"
ACTIVITY_WRITE_INTERVAL = datetime.timedelta(seconds=60)


class IdentityMiddleware:
    """Who is asking: the user, their verified second factor and their session record, in one
    hand-written query per request (docs/decisions/0011-signed-in-request-cost.md).

    It stands in for Django's ``AuthenticationMiddleware``, django-otp's ``OTPMiddleware`` and the
    session-lifecycle check (SECURITY.md A5) and keeps their semantics: ``request.user`` is the
    active user of the session (an inactive, deleted or re-passworded account is anonymous and the
    session is flushed), ``request.user.otp_device`` is the confirmed device of that user named in
    the session or ``None`` (a reset device unverifies the very next request), and
    ``request.user.is_verified()`` answers from it. Every signed-in session has a ``UserSession``
    row; a request whose row is ended, idle for longer than the idle timeout, or older than the
    absolute lifetime is signed out. Nothing is cached across requests, so a disabled account, a
    reset device and an ended session take effect on the next request; only the activity write
    runs at most once a minute.

    The encrypted columns (phone, ID number, TOTP seed) are not read: they stay deferred and load
    on first access, so no request decrypts what it does not show."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user = identify(request)
        request.auser = partial(_auser, request)  # type: ignore[attr-defined]
        return self.get_response(request)


async def _auser(request: HttpRequest) -> Any:
    return request.user


def _anonymous() -> Any:
    user = AnonymousUser()
    user.otp_device = None  # type: ignore[attr-defined]
    user.is_verified = partial(otp_is_verified, user)  # type: ignore[attr-defined]
    return user


class _IdentityQuery:
    """The SQL and row converters of the identity query for one database vendor."""

    def __init__(self, connection: Any) -> None:
        self.user_fields: list[Any] = [
            field for field in User._meta.concrete_fields if field.attname not in ENCRYPTED_USER_FIELDS
        ]
        self.device_fields: list[Any] = [
            StaffTOTPDevice._meta.get_field(name) for name in ("id", "user", "name", "confirmed", "confirmed_at")
        ]
        self.record_fields: list[Any] = [
            UserSession._meta.get_field(name) for name in ("id", "user", "created_at", "last_activity_at", "ended_at")
        ]
        quote = connection.ops.quote_name

        def columns(alias: str, fields: list[Any]) -> str:
            return ", ".join(f"{alias}.{quote(field.column)}" for field in fields)

        # Table and column names come from the models; every value is a parameter.
        self.sql = (
            f"SELECT {columns('u', self.user_fields)}, {columns('d', self.device_fields)}, "  # noqa: S608
            f"{columns('r', self.record_fields)} "
            f"FROM {quote(User._meta.db_table)} u "
            f"LEFT JOIN {quote(StaffTOTPDevice._meta.db_table)} d "
            f"ON d.{quote('id')} = %s AND d.{quote('user_id')} = u.{quote('id')} "
            f"LEFT JOIN {quote(UserSession._meta.db_table)} r "
            f"ON r.{quote('id')} = %s AND r.{quote('user_id')} = u.{quote('id')} "
            f"WHERE u.{quote('id')} = %s"
        )
        from django.contrib.sessions.models import Session

        # The same with the session row in front, for a session this process has read before
        # (``identify``): user, device and record ids are taken from that earlier read and checked
        # against the row's data, so a request costs one query.
        self.session_sql = (
            f"SELECT s.{quote('session_data')}, {columns('u', self.user_fields)}, "  # noqa: S608
            f"{columns('d', self.device_fields)}, {columns('r', self.record_fields)} "
            f"FROM {quote(Session._meta.db_table)} s "
            f"LEFT JOIN {quote(User._meta.db_table)} u ON u.{quote('id')} = %s "
            f"LEFT JOIN {quote(StaffTOTPDevice._meta.db_table)} d "
            f"ON d.{quote('id')} = %s AND d.{quote('user_id')} = u.{quote('id')} "
            f"LEFT JOIN {quote(UserSession._meta.db_table)} r "
            f"ON r.{quote('id')} = %s AND r.{quote('user_id')} = u.{quote('id')} "
            f"WHERE s.{quote('session_key')} = %s AND s.{quote('expire_date')} > %s"
        )
        # SQLite's own parameter style, as Django's SQLite cursor would rewrite it (no literal "%").
        self.session_sql_qmark = self.session_sql.replace("%s", "?")
        assert "%" not in self.session_sql_qmark
        self.converters = [
            [
                *connection.ops.get_db_converters(field.get_col(field.model._meta.db_table)),
                *field.get_db_converters(connection),
            ]
            for field in (*self.user_fields, *self.device_fields, *self.record_fields)
        ]
        # Only the columns that have converters are visited per request.
        self.converting = [(index, converters) for index, converters in enumerate(self.converters) if converters]
        self.record_id_field = UserSession._meta.pk
        self.user_build = _Builder(User, self.user_fields)
        self.device_build = _Builder(StaffTOTPDevice, self.device_fields)
        self.record_build = _Builder(UserSession, self.record_fields)

    def record_param(self, connection: Any, record_id: Any) -> Any:
        if not record_id:
            return None
        try:
            return self.record_id_field.get_db_prep_value(self.record_id_field.to_python(record_id), connection)
        except ValidationError:
            return None

    def run(self, connection: Any, user_id: int, device_id: int | None, record_id: Any) -> list[Any] | None:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [device_id, self.record_param(connection, record_id), user_id])
            row = cursor.fetchone()
        return self._convert(connection, row)

    def run_with_session(self, connection: Any, session_key: str, hint: _Hint) -> tuple[str | None, list[Any] | None]:
        """(session data, identity row) in one query; (None, None) when the session row is gone
        or expired; the row is None when the user is gone."""
        params = [
            hint.user_id,
            hint.device_id,
            hint.record_param,
            session_key,
            connection.ops.adapt_datetimefield_value(timezone.now()),
        ]
        if connection.vendor == "sqlite" and not connection.queries_logged and not connection.execute_wrappers:
            # Django's cursor wrappers cost ≈ 25 µs here (decision 0011, third step). What they do
            # that matters is kept: connecting, the thread and broken-transaction checks and the
            # translation of database errors. With query logging (tests counting queries, DEBUG)
            # or an execute wrapper installed, the query goes through Django's cursor.
            connection.close_if_health_check_failed()
            connection.ensure_connection()
            connection.validate_thread_sharing()
            connection.validate_no_broken_transaction()
            with connection.wrap_database_errors:
                row = connection.connection.execute(self.session_sql_qmark, params).fetchone()
        else:
            with connection.cursor() as cursor:
                cursor.execute(self.session_sql, params)
                row = cursor.fetchone()
        if row is None:
            return None, None
        return row[0], self._convert(connection, row[1:])

    def _convert(self, connection: Any, row: Any) -> list[Any] | None:
        if row is None or row[0] is None:
            return None
        values = list(row)
        for index, converters in self.converting:
            value = values[index]
            if value is not None:
                for converter in converters:
                    value = converter(value, None, connection)
                values[index] = value
        return values


class _Builder:
    """``Model.from_db(alias, attnames, values)`` for a fixed list of selected fields, without its
    per-call work: the instance gets exactly the attributes ``Model.__init__`` would set (the
    selected ones; the others stay deferred) and the same ``_state``. A model with ``pre_init`` or
    ``post_init`` receivers, or a custom ``from_db``, goes through ``from_db`` itself."""

    def __init__(self, model: Any, fields: list[Any]) -> None:
        self.model = model
        self.attnames = [field.attname for field in fields]
        self.attname_set = frozenset(self.attnames)
        self.own_from_db = getattr(model.from_db, "__func__", None) is not getattr(Model.from_db, "__func__", None)

    def __call__(self, alias: str, values: Any) -> Any:
        model = self.model
        if self.own_from_db or signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
            return model.from_db(alias, self.attname_set, values)
        instance = model.__new__(model)
        state = instance._state = ModelState()
        state.adding = False
        state.db = alias
        instance.__dict__.update(zip(self.attnames, values, strict=True))
        return instance


class _Hint(NamedTuple):
    """What this process last read for a session key: the stored data (text and decoded) and the
    ids in it. Only a hint: every request still reads the session row, and the decoded data is
    reused only while the row holds exactly the same text."""

    text: str
    data: dict[str, Any]
    user_id: int
    device_id: int | None
    record_id: Any
    record_param: Any


_HINTS: dict[str, _Hint] = {}
HINTS_MAX = 10_000
_SCALARS = (str, int, float, bool, type(None))


def _remember(session: Any, user_id: int, device_id: int | None, record_id: Any, query: Any, connection: Any) -> None:
    text = getattr(session, "linli_loaded_text", None)
    key = session.session_key
    if text is None or key is None or session.modified:
        return
    known = _HINTS.get(key)
    if (
        known is not None
        and known.text == text
        and (known.user_id, known.device_id, known.record_id)
        == (
            user_id,
            device_id,
            record_id,
        )
    ):
        return
    data = session._session
    if not all(isinstance(value, _SCALARS) for value in data.values()):
        return  # nested values could be changed in place; such sessions are decoded every time
    if len(_HINTS) >= HINTS_MAX:
        _HINTS.clear()
    _HINTS[key] = _Hint(text, dict(data), user_id, device_id, record_id, query.record_param(connection, record_id))


ENCRYPTED_USER_FIELDS = frozenset({"phone", "id_number"})
FAST_BACKEND = "linli.accounts.backends.StaffPasswordBackend"
_queries: dict[str, _IdentityQuery] = {}


def _identity_query(connection: Any) -> _IdentityQuery:
    query = _queries.get(connection.vendor)
    if query is None:
        query = _queries[connection.vendor] = _IdentityQuery(connection)
    return query


def _device_id(persistent_id: Any) -> int | None:
    """The id of a ``StaffTOTPDevice`` persistent id (``accounts.stafftotpdevice/12``)."""
    if not isinstance(persistent_id, str):
        return None
    label, _, number = persistent_id.rpartition("/")
    if label != StaffTOTPDevice.model_label() or not number.isdigit():
        return None
    return int(number)


def identify(request: HttpRequest) -> Any:
    session = request.session
    connection = connections[router.db_for_read(User)]
    query = _identity_query(connection)
    key = session.session_key
    hint = _HINTS.get(key) if key else None
    row = None
    if hint is not None and key is not None:
        text, row = query.run_with_session(connection, key, hint)
        if text is None:  # the session row is gone or expired: as Django's load() leaves it
            _HINTS.pop(key, None)
            session._session_key = None  # type: ignore[attr-defined]
            session._session_cache = {}  # type: ignore[attr-defined]
            return _anonymous()
        session._session_cache = dict(hint.data) if text == hint.text else session.decode(text)  # type: ignore[attr-defined]
        session.linli_loaded_text = text  # type: ignore[attr-defined]
    user_id_text = session.get(SESSION_KEY)
    if user_id_text is None or session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return _anonymous()
    try:
        user_id = int(user_id_text)
    except (TypeError, ValueError):
        return _anonymous()
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device_id, record_id = _device_id(persistent_id), session.get(SESSION_RECORD_KEY)
    if hint is None or (hint.user_id, hint.device_id, hint.record_id) != (user_id, device_id, record_id):
        row = query.run(connection, user_id, device_id, record_id)
    _remember(session, user_id, device_id, record_id, query, connection)
    if row is None:
        session.flush()
        return _anonymous()
    user_count, device_count = len(query.user_fields), len(query.device_fields)
    user: Any = query.user_build(connection.alias, row[:user_count])
    if session.get(BACKEND_SESSION_KEY) != FAST_BACKEND:
        # Another configured backend: let it decide exactly as Django's get_user would.
        user = auth.get_user(request)
        if not user.is_authenticated:
            return _anonymous()
    elif not user.is_active or not _session_hash_matches(request, user):
        session.flush()
        return _anonymous()
    device_values = row[user_count : user_count + device_count]
    record_values = row[user_count + device_count :]
    device = None
    if device_values[0] is not None and device_values[3]:
        device = query.device_build(connection.alias, device_values)
    elif persistent_id is not None:
        if _device_id(persistent_id) is None:
            device = _device_from_other_model(persistent_id, user)
        if device is None:
            del session[DEVICE_ID_SESSION_KEY]
    user.otp_device = device  # type: ignore[attr-defined]
    user.is_verified = partial(otp_is_verified, user)  # type: ignore[attr-defined]
    record = None
    if record_values[0] is not None:
        record = query.record_build(connection.alias, record_values)
    return _check_session_record(request, user, record)


def _device_from_other_model(persistent_id: str, user: Any) -> Any:
    """A device of another django-otp model (none is installed today), loaded as django-otp would."""
    from django_otp.models import Device

    device = Device.from_persistent_id(persistent_id)
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return device


def _session_hash_matches(request: HttpRequest, user: Any) -> bool:
    """Django's check: the session was made for the current password (a password change elsewhere
    signs this session out); a hash made with a fallback secret is renewed."""
    session_hash = request.session.get(HASH_SESSION_KEY)
    if not session_hash:
        return False
    if constant_time_compare(session_hash, user.get_session_auth_hash()):
        return True
    if any(constant_time_compare(session_hash, fallback) for fallback in user.get_session_auth_fallback_hash()):
        request.session.cycle_key()
        request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        return True
    return False


def _check_session_record(request: HttpRequest, user: Any, record: UserSession | None) -> Any:
    from linli.accounts import actions

    now = timezone.now()
    reason = ""
    if record is None or record.ended_at is not None:
        reason = "ended"
    elif now - record.last_activity_at > datetime.timedelta(seconds=settings.LINLI_SESSION_IDLE_SECONDS):
        reason = "idle_timeout"
    elif now - record.created_at > datetime.timedelta(seconds=settings.LINLI_SESSION_ABSOLUTE_SECONDS):
        reason = "absolute_timeout"
    if reason:
        if record is not None and record.ended_at is None:
            actions.do_end_session(record, reason=reason)
        request.user = user
        logout(request)
        request.linli_session_expired = True  # type: ignore[attr-defined]
        request.linli_session_expired_kind = user.kind  # type: ignore[attr-defined]  # which sign-in page
        return _anonymous()
    assert record is not None
    request.linli_session = record  # type: ignore[attr-defined]
    # Background polls (the inbox badge) do not count as activity, or an open tab would keep
    # its session alive for ever (A5 idle timeout).
    background = request.headers.get("X-Linli-Background") == "1"
    if not background and now - record.last_activity_at > ACTIVITY_WRITE_INTERVAL:
        UserSession.objects.filter(id=record.id).update(last_activity_at=now)
    return user


class UserPreferencesMiddleware:
    """Signed-in users' saved language wins over the cookie; elderly mode comes from the account
    or, for anonymous visitors, a cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language  # type: ignore[attr-defined]
            request.elderly_mode = user.elderly_mode  # type: ignore[attr-defined]
        else:
            request.elderly_mode = request.COOKIES.get("linli_elderly") == "1"  # type: ignore[attr-defined]
        return self.get_response(request)
