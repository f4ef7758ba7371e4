"""The `flask eventhub` commands."""

import re

from sqlalchemy import func, select

from eventhub.core.models import Attendance, Event, EventStatus, Project, Role, User
from eventhub.extensions import db


def test_demo_loads_five_projects_once(runner):
    first = runner.invoke(args=["eventhub", "demo"])
    assert first.exit_code == 0, first.output
    assert "5 projects added" in first.output
    # A first-time demo gets an organiser account whose password is shown once.
    password = re.search(r"admin@demo\.invalid with the password (\S+)", first.output).group(1)
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.invalid"))
    assert admin.role == Role.ADMIN and admin.check_password(password)
    counts = (
        db.session.scalar(select(func.count()).select_from(Project)),
        db.session.scalar(select(func.count()).select_from(Event)),
        db.session.scalar(select(func.count()).select_from(Attendance)),
    )
    again = runner.invoke(args=["eventhub", "demo"])
    assert again.exit_code == 0 and "0 projects added" in again.output
    assert "password" not in again.output
    assert counts == (
        db.session.scalar(select(func.count()).select_from(Project)),
        db.session.scalar(select(func.count()).select_from(Event)),
        db.session.scalar(select(func.count()).select_from(Attendance)),
    )
    timezones = set(db.session.scalars(select(Event.timezone)))
    assert timezones == {"Europe/Helsinki", "Europe/Riga", "Europe/Tallinn"}
    held = db.session.scalars(select(Event).where(Event.status == EventStatus.HELD)).all()
    assert held and counts[2] > 0


def test_create_user_reads_password_from_stdin(runner):
    db.session.commit()
    runner.invoke(args=["eventhub", "demo"])
    result = runner.invoke(
        args=[
            "eventhub", "create-user", "--email", "Anne@Example.fi", "--name", "Anne",
            "--role", "manager", "--project", "KANTO",
        ],
        input="correct horse battery\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "anne@example.fi"))
    assert user.role == Role.MANAGER
    assert [p.code for p in user.projects] == ["KANTO"]
    assert user.check_password("correct horse battery")
    assert "correct horse battery" not in user.password_hash


def test_create_user_refuses_short_password_and_unknown_project(runner):
    short = runner.invoke(
        args=["eventhub", "create-user", "--email", "x@y.fi", "--name", "X"], input="short\n"
    )
    assert short.exit_code != 0 and "10 characters" in short.output
    unknown = runner.invoke(
        args=["eventhub", "create-user", "--email", "x@y.fi", "--name", "X", "--project", "NO"],
        input="long enough password\n",
    )
    assert unknown.exit_code != 0 and "no project" in unknown.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
