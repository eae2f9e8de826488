"""Data for bench/scale.sh: the heartbeat learners of bench/setup_data.py, plus what the evening's
other streams need, appended to the same data file (bench/progress.lua ignores the extra lines)::

    page /courses/bench-course/           pages a signed-in learner opens (bench/scale_http.lua)
    session <learner pk> <session key>    signed-in learners (Django sessions in the database)
    upload <session key> <id number>      institution staff who record external certificates
                                          (with a scan, stored in S3) for a learner of their class

Run with the servers' environment (bench/scale.sh does)::

    .venv/bin/python bench/scale_setup.py --learners 2000 --sessions 200 --out FILE
"""

import argparse
import datetime as dt
import os
import sys
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import setup_data  # noqa: E402
from catalogs.validators import credit_code_check_char  # noqa: E402
from institutions.models import ClassMembership, Institution, InstitutionStaff, TrainingClass  # noqa: E402
from learners.models import Learner  # noqa: E402
from vocabulary.people import District  # noqa: E402

STAFF_USERNAME = "bench-staff"


def session_for(user: User) -> str:
    """A signed-in session for ``user``, as the login view would leave it."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.set_expiry(24 * 3600)
    store.create()
    return store.session_key


@transaction.atomic
def institution_with_class(course, learner_ids: list[int]) -> User:
    """An institution whose one class has every benchmark learner, and a staff member of it."""
    first17 = "52370303" + "990000001"
    institution, _ = Institution.objects.get_or_create(
        credit_code=first17 + credit_code_check_char(first17),
        defaults={"name": "压测职业培训学校", "type": "private", "district": District.ZHANGDIAN},
    )
    staff, created = User.objects.get_or_create(
        username=STAFF_USERNAME, defaults={"password": make_password(None)}
    )
    if created:
        InstitutionStaff.objects.create(user=staff, institution=institution)
    today = timezone.localdate()
    training_class, _ = TrainingClass.objects.get_or_create(
        institution=institution,
        course=course,
        defaults={
            "occupation": course.occupation,
            "name": "压测班",
            "starts_on": today,
            "ends_on": today + dt.timedelta(days=60),
        },
    )
    known = set(
        ClassMembership.objects.filter(training_class=training_class).values_list("learner_id", flat=True)
    )
    ClassMembership.objects.bulk_create(
        [
            ClassMembership(training_class=training_class, learner_id=pk)
            for pk in learner_ids
            if pk not in known
        ]
    )
    return staff


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=200, help="learners signed in for page views")
    parser.add_argument("--uploaders", type=int, default=4, help="staff sessions that upload scans")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    course, rows = setup_data.create(args.learners, 4, 5400)
    setup_data.write_data(args.out, course, rows)
    learner_ids = [pk for pk, _ in rows]
    staff = institution_with_class(course, learner_ids)
    users = dict(Learner.objects.filter(pk__in=learner_ids[: args.sessions]).values_list("pk", "user_id"))
    by_id = {user.pk: user for user in User.objects.filter(pk__in=users.values())}
    id_numbers = [setup_data._id_number(n) for n in range(1, args.learners + 1)]
    lines = [f"page {path}" for path in ("/", "/courses/", course.get_url(), "/me/learning/", "/me/archive/")]
    lines += [f"session {pk} {session_for(by_id[user_id])}" for pk, user_id in users.items()]
    lines += [f"upload {session_for(staff)} {id_numbers[i % len(id_numbers)]}" for i in range(args.uploaders)]
    with args.out.open("a") as out:
        out.write("\n".join(lines) + "\n")
    print(
        f"{len(rows)} learners, {len(users)} signed-in sessions, {args.uploaders} staff sessions; "
        f"course {course.get_url()}; data in {args.out}"
    )


if __name__ == "__main__":
    main()
