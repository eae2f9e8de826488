"""schemathesis hooks of the API fuzzer, loaded by ``tests/fuzz/run.py`` (``SCHEMATHESIS_HOOKS``).

The personas the fuzzer signs in as must stay signed in: five wrong passwords for one username
lock it for 15 minutes (``LOGIN_FAILURE_LIMIT``). Generated usernames almost never collide with a
persona's, but the schema's examples and the coverage phase's boundary values could, so a
request to the token endpoint that names a persona is sent with another username instead.
"""

import os
import unicodedata

import schemathesis

TOKEN_PATH = "/api/v1/auth/token/"


def username_key(value: str) -> str:
    """How a login guard may compare usernames: Django's NFKC normalisation, case and blanks."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


PROTECTED = {
    username_key(name) for name in os.environ.get("FUZZ_PROTECTED_USERNAMES", "").split(",") if name.strip()
}


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if case.operation.path != TOKEN_PATH or not isinstance(case.body, dict):
        return
    username = case.body.get("username")
    if isinstance(username, str) and username_key(username) in PROTECTED:
        case.body["username"] = "fuzz-not-" + username
