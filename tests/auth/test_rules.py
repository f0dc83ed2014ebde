import pytest

from straxlab.auth.rules import (
    PasswordProblem,
    Permission,
    Role,
    has_permission,
    is_safe_next,
    password_problems,
)


def test_a_long_uncommon_password_passes():
    assert password_problems("paarse fiets op het dak 42") == []


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("kort", PasswordProblem.TOO_SHORT),
        ("elf tekens!", PasswordProblem.TOO_SHORT),
        ("x" * 129, PasswordProblem.TOO_LONG),
        ("password1234", PasswordProblem.COMMON),
        ("Wachtwoord123", PasswordProblem.COMMON),
        ("aaaaaaaaaaaaaaaa", PasswordProblem.COMMON),
        ("abababababababab", PasswordProblem.COMMON),
    ],
)
def test_bad_passwords(password, problem):
    assert problem in password_problems(password)


def test_twelve_characters_is_enough_and_64_is_allowed():
    assert password_problems("twaalf tekst") == []
    assert (
        password_problems("een zin van vierenzestig tekens die iemand echt zou kunnen typen!") == []
    )


def test_personal_words_are_refused():
    problems = password_problems(
        "sanne houdt van fietsen", personal=("s.devries@school.nl", "Sanne de Vries")
    )
    assert PasswordProblem.PERSONAL in problems
    assert (
        password_problems(
            "fietsen in de regen 7", personal=("s.devries@school.nl", "Sanne de Vries")
        )
        == []
    )


def test_same_as_current():
    assert PasswordProblem.SAME_AS_CURRENT in password_problems(
        "paarse fiets op het dak 42", current_hash_matches=True
    )


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/admin/users?page=2", True),
        ("/", True),
        ("", False),
        (None, False),
        ("//evil.example/x", False),
        ("/\\evil.example", False),
        ("https://evil.example/", False),
        ("javascript:alert(1)", False),
        ("admin/users", False),
        ("/\tevil", False),
    ],
)
def test_is_safe_next(target, safe):
    assert is_safe_next(target) is safe


def test_only_managers_manage_users():
    assert has_permission(Role.MANAGER, Permission.MANAGE_USERS)
    assert not has_permission(Role.STAFF, Permission.MANAGE_USERS)
    assert not has_permission(Role.TEACHER, Permission.MANAGE_USERS)
