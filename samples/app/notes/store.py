"""A tiny note store on PostgreSQL: the app the sample pipeline tests."""
import os

import psycopg2


def connect(url=None):
    """Connects to DATABASE_URL (postgres://user@host:port/database)."""
    return psycopg2.connect(url or os.environ["DATABASE_URL"])


def create_schema(conn):
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS notes ("
            " id serial PRIMARY KEY,"
            " title text NOT NULL UNIQUE,"
            " body text NOT NULL DEFAULT '')"
        )


def add_note(conn, title, body=""):
    with conn.cursor() as cur:
        cur.execute("INSERT INTO notes (title, body) VALUES (%s, %s) RETURNING id", (title, body))
        return cur.fetchone()[0]


def titles(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT title FROM notes ORDER BY title")
        return [row[0] for row in cur.fetchall()]


def search(conn, word):
    with conn.cursor() as cur:
        cur.execute("SELECT title FROM notes WHERE body ILIKE %s ORDER BY title", ("%" + word + "%",))
        return [row[0] for row in cur.fetchall()]
