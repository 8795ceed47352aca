import pytest
from django.db import connection

from kapcare.lib.env import database_from_url


def test_postgresql_prepares_what_it_runs_again_by_default():
    settings = database_from_url("postgres://kapcare:secret@db.example.org:5432/kapcare?sslmode=require")
    assert settings["OPTIONS"] == {"sslmode": "require", "server_side_binding": True, "prepare_threshold": 5}
    assert (settings["HOST"], settings["PORT"], settings["NAME"]) == ("db.example.org", "5432", "kapcare")


def test_a_pooler_that_cannot_keep_prepared_statements_can_turn_them_off():
    options = database_from_url("postgres://u@h/db?prepare_threshold=none&server_side_binding=false")[
        "OPTIONS"
    ]
    assert options == {"server_side_binding": False, "prepare_threshold": None}
    assert database_from_url("postgres://u@h/db?prepare_threshold=0")["OPTIONS"]["prepare_threshold"] == 0


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("prepare_threshold=often", "prepare_threshold"),
        ("server_side_binding=yes please", "server_side_binding"),
    ],
)
def test_a_bad_option_is_refused_by_name(query, named):
    with pytest.raises(ValueError, match=named):
        database_from_url(f"postgres://u@h/db?{query}")


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_a_query_run_again_is_prepared_on_the_connection():
    with connection.cursor() as cursor:
        for n in range(6):
            cursor.execute("SELECT %s::int + 1", [n])
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["SELECT $1::int + 1"]
        )
        assert cursor.fetchone()[0] == 1
