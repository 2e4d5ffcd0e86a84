"""The web service's storage: notes in Postgres, a cache beside them."""
import os
import socket

import psycopg2


def connect():
    return psycopg2.connect(os.environ["DATABASE_URL"])


def save_note(conn, text):
    with conn.cursor() as cur:
        cur.execute("create table if not exists notes (id serial primary key, text text not null)")
        cur.execute("insert into notes (text) values (%s) returning id", (text,))
        return cur.fetchone()[0]


def cache_echo(line, port=6380):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(line.encode() + b"\n")
        return conn.makefile().readline().strip()
