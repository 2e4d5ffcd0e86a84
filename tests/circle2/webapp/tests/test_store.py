import unittest

import psycopg2

from app import store


class StoreTest(unittest.TestCase):
    def test_notes_go_to_postgres(self):
        for _ in range(50):  # the server may still be starting after its port opened
            try:
                conn = store.connect()
                break
            except psycopg2.OperationalError:
                import time
                time.sleep(0.2)
        with conn:
            first = store.save_note(conn, "hello")
            second = store.save_note(conn, "world")
        self.assertEqual(second, first + 1)
        with conn.cursor() as cur:
            cur.execute("select current_database(), current_user")
            print("db says %s as %s" % cur.fetchone())

    def test_cache_answers_on_localhost(self):
        self.assertEqual(store.cache_echo("ping"), "ping")


if __name__ == "__main__":
    unittest.main()
