"""Runs inside the app image against the database drydock passes in."""
import os
import unittest
from urllib.parse import urlparse

import psycopg2

from notes import store


class StoreTest(unittest.TestCase):
    def setUp(self):
        self.conn = store.connect()
        self.conn.autocommit = False
        store.create_schema(self.conn)

    def tearDown(self):
        self.conn.rollback()  # each test leaves the database as it found it
        self.conn.close()

    def test_the_database_is_the_one_declared(self):
        url = urlparse(os.environ["DATABASE_URL"])
        with self.conn.cursor() as cur:
            cur.execute("SELECT current_database(), current_user, split_part(version(), ' ', 2)")
            database, user, version = cur.fetchone()
        self.assertEqual(database, url.path.lstrip("/"))
        self.assertEqual(user, url.username)
        self.assertTrue(version.startswith("15."), version)

    def test_notes_come_back_sorted(self):
        store.add_note(self.conn, "zebra")
        store.add_note(self.conn, "apple")
        self.assertEqual(store.titles(self.conn), ["apple", "zebra"])

    def test_titles_are_unique(self):
        store.add_note(self.conn, "twice")
        with self.assertRaises(psycopg2.errors.UniqueViolation):
            store.add_note(self.conn, "twice")

    def test_search_looks_in_bodies(self):
        store.add_note(self.conn, "a", "the docker bridge")
        store.add_note(self.conn, "b", "postgres on the host")
        self.assertEqual(store.search(self.conn, "BRIDGE"), ["a"])


if __name__ == "__main__":
    unittest.main()
