"""Drives a real Django project for the interop tests (test/django/*.test.ts).

Started by test/django/django-project.ts in a temp dir holding the project's
settings.py. Runs Django's `migrate`, then answers JSON requests, one per
line on stdin, with one JSON line each on stdout: {"id": n, "ok": result} or
{"id": n, "error": "..."}. One process serves a whole test file, so the suite
starts few Python interpreters; settings that vary per test (SESSION_ENGINE,
SECRET_KEY, SESSION_COOKIE_AGE) are switched with override_settings.
"""
import json
import sys
import time
import traceback
import types
import zlib
import base64

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model, login  # noqa: E402
from django.contrib.auth.middleware import AuthenticationMiddleware  # noqa: E402
from django.contrib.sessions.middleware import SessionMiddleware  # noqa: E402
from django.core import signing  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from importlib import import_module  # noqa: E402

ENGINES = {
    "cookie": "django.contrib.sessions.backends.signed_cookies",
    "db": "django.contrib.sessions.backends.db",
    "custom": "custom_sessions",  # a subclass of the db SessionStore (written by django-project.ts)
}


class frozen_time:
    """Makes django.core.signing see time.time() == at (None: the real clock)."""

    def __init__(self, at):
        self.at = at

    def __enter__(self):
        self.saved = signing.time
        if self.at is not None:
            signing.time = types.SimpleNamespace(time=lambda: self.at)

    def __exit__(self, *exc):
        signing.time = self.saved


def overrides(args):
    values = {"SESSION_ENGINE": ENGINES[args.get("engine", "cookie")]}
    for name in ("SECRET_KEY", "SESSION_COOKIE_AGE", "DEFAULT_HASHING_ALGORITHM"):
        if args.get(name) is not None:
            values[name] = args[name]
    return override_settings(**values)


def run_actions(request, actions):
    session = request.session
    for action in actions:
        op = action["op"]
        if op == "login":
            user = get_user_model().objects.get(username=action["username"])
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        elif op == "set":
            session[action["key"]] = action["value"]
        elif op == "update":
            # JSON text, so that floats such as 1.0 and 1e+20 reach Python as floats
            session.update(json.loads(action["json"]))
        elif op == "delete":
            del session[action["key"]]
        elif op == "set_test_cookie":
            session.set_test_cookie()
        elif op == "delete_test_cookie":
            session.delete_test_cookie()
        elif op == "set_expiry":
            session.set_expiry(action["value"])
        elif op == "flush":
            session.flush()
        elif op == "cycle_key":
            session.cycle_key()
        else:
            raise ValueError("unknown action " + op)


def op_request(args):
    """One request through Django's SessionMiddleware and AuthenticationMiddleware."""
    seen = {}

    def view(request):
        session = request.session
        seen["before"] = dict(session.items())
        seen["user_id_before"] = request.user.pk if request.user.is_authenticated else None
        seen["test_cookie_worked"] = session.test_cookie_worked()
        run_actions(request, args.get("actions", []))
        seen["after"] = dict(session.items())
        seen["session_key"] = session.session_key
        seen["expiry_age"] = session.get_expiry_age()
        return JsonResponse({"ok": True})

    with overrides(args), frozen_time(args.get("time")):
        headers = {}
        if args.get("cookie") is not None:
            headers["HTTP_COOKIE"] = "%s=%s" % (settings.SESSION_COOKIE_NAME, args["cookie"])
        request = RequestFactory().get("/", **headers)
        handler = SessionMiddleware(AuthenticationMiddleware(view))
        response = handler(request)
        morsel = response.cookies.get(settings.SESSION_COOKIE_NAME)
        seen["status"] = response.status_code
        seen["cookie"] = None if morsel is None else {"value": morsel.value, "max_age": str(morsel["max-age"])}
        return seen


def op_create_user(args):
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=args["username"])
    user.set_password(args["password"])
    user.save()
    return {"pk": user.pk}


def op_password_hash(args):
    """The user's password column; with "new_password", changes the password first."""
    user = get_user_model().objects.get(username=args["username"])
    if args.get("new_password"):
        user.set_password(args["new_password"])
        user.save()
    return user.password


def op_dumps(args):
    """signing.dumps of each JSON text (as Django's SessionStore would get the dict), at a frozen time."""
    out = []
    for item in args["items"]:
        obj = json.loads(item["json"])
        same = None
        if item.get("plain_json") is not None:
            # JSON.stringify writes 1e20 as 100000000000000000000: read its integers as the doubles they were.
            same = obj == json.loads(item["plain_json"], parse_int=float)
        with frozen_time(item["time"]):
            token = signing.dumps(obj, key=item["key"], salt=item["salt"], compress=item.get("compress", True))
        out.append({"token": token, "same": same, "redumped": json.dumps(obj, separators=(",", ":"))})
    return out


def op_redump(args):
    """json.dumps(json.loads(text)) with Django's separators, for each text."""
    return [json.dumps(json.loads(text), separators=(",", ":")) for text in args["texts"]]


def op_loads(args):
    """signing.loads of each token; the payload is returned as Django's JSON text."""
    out = []
    for item in args["items"]:
        try:
            with frozen_time(item.get("time")):
                obj = signing.loads(item["token"], key=item["key"], salt=item["salt"], max_age=item.get("max_age"))
            out.append({"ok": json.dumps(obj, separators=(",", ":"))})
        except Exception as error:  # noqa: BLE001 - the class name is the answer
            out.append({"error": type(error).__name__})
    return out


def op_decompress(args):
    """The payload bytes of each token (inflated when compressed), as text."""
    out = []
    for token in args["tokens"]:
        body = token.split(":")[0]
        compressed = body.startswith(".")
        if compressed:
            body = body[1:]
        data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        out.append({"compressed": compressed, "payload": (zlib.decompress(data) if compressed else data).decode("latin-1")})
    return out


def op_db_load(args):
    """The database SessionStore's view of a key: its data, or None when Django finds no live row."""
    with overrides({"engine": "db", **args}):
        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=args["key"])
        data = dict(store.items())
        return {"data": data if store.session_key is not None else None, "expiry_age": store.get_expiry_age()}


def op_clear_expired(args):
    with overrides({"engine": "db", **args}):
        import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    with connection.cursor() as cursor:
        cursor.execute("select session_key from django_session order by session_key")
        return [row[0] for row in cursor.fetchall()]


def finite(value):
    """The reply with NaN and infinities as strings: the test side parses strict JSON."""
    if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
        return repr(value)
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value


OPS = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}


def main():
    call_command("migrate", verbosity=0, interactive=False)
    print(json.dumps({"ready": True, "django": django.get_version(), "vendor": connection.vendor}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            reply = {"id": request["id"], "ok": OPS[request["op"]](request.get("args", {}))}
        except Exception as error:  # noqa: BLE001 - reported to the test
            reply = {"id": request["id"], "error": "%s: %s\n%s" % (type(error).__name__, error, traceback.format_exc())}
        print(json.dumps(finite(reply)), flush=True)


if __name__ == "__main__":
    main()
