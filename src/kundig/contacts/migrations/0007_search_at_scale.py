"""Search and lists at a million contacts (PostgreSQL only; ADR 12).

* ``contacts_contact_name_c_idx``: contacts in name order in the "C"
  collation, whatever the database's own, so that the surnames starting
  with what someone types are one range of it; it includes the name, owner
  and team, so the lookup and its visibility filter never read the table.
* ``contacts_contact_first_name_c_idx``: the same for first names, folded
  for umlauts in SQL ("jürgen" -> "juergen").
* ``contacts_contact_visible_idx``: id with owner and team, so that a
  join to contacts checks visibility in the index.
* ``contacts_contact_stage_order_idx`` (and ``…_desc_idx``): the list's
  "Lifecycle stage" order, the ``CASE`` that ``contacts.filters.STAGE_ORDER``
  builds, then the name. The expression is written out here as it stood;
  ``test_the_stage_order_is_served_by_its_index`` fails when they part.
* A larger statistics sample of ``search_key``, for estimates of how many
  rows a substring matches that are right within a factor, not 200.
* ``contacts_searchword``: the words of contacts' and companies' names,
  folded like the search keys ("mueller") and with umlauts dropped
  ("muller"), for finding the words a misspelt one is close to. Kept by
  statement triggers, so bulk loads (COPY) and every service feed it; words
  are never removed, an unused one costs nothing. It has no unique
  constraint on purpose: concurrent imports adding the same new word must
  not wait for each other (nor deadlock); a rare duplicate is harmless.
"""

from django.db import migrations

WORDS = "contacts_searchword"
# Words as ``kundig.core.text.query_words`` splits them; three letters or more.
_SPLIT = "'[^a-z0-9]+'"
_WANTED = "w.word ~ '^[a-z]{3,}$'"


def _folded(text: str) -> str:
    """Return SQL folding ``text`` like kundig.core.text.fold does with umlauts."""
    lowered = f"lower(translate({text}, 'ÄÖÜ', 'äöü'))"
    for umlaut, spelt in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        lowered = f"replace({lowered}, '{umlaut}', '{spelt}')"
    return lowered


def _dropped(text: str) -> str:
    """Return SQL writing ``text`` with its umlauts dropped: "muller"."""
    return f"replace(lower(translate({text}, 'ÄÖÜäöü', 'AOUaou')), 'ß', 'ss')"


# Exactly the expression kundig.contacts.search.postgres._FIRST_KEY
# queries, or PostgreSQL will not use the index for it.
_FIRST_NAME = (
    "replace(replace(replace(replace(lower(first_name), "
    "'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss')"
)
# A name folded ("mueller juergen", as in sort_name) and with the umlauts
# dropped ("muller jurgen"), as people type in a hurry.
_CONTACT_NAME = "coalesce(r.first_name, '') || ' ' || coalesce(r.last_name, '')"
_SOURCES = {
    "contacts_contact": f"r.sort_name || ' ' || {_dropped(_CONTACT_NAME)}",
    "contacts_company": f"{_folded('r.name')} || ' ' || {_dropped('r.name')}",
}


# contacts.choices.LifecycleStage, in order, when this migration was written.
_STAGES = [
    "subscriber",
    "lead",
    "marketing_qualified",
    "sales_qualified",
    "opportunity",
    "customer",
    "regular_customer",
    "at_risk",
    "inactive",
]
STAGE_ORDER = (
    "CASE "
    + " ".join(f"WHEN lifecycle_stage = '{s}' THEN {i}" for i, s in enumerate(_STAGES))
    + f" ELSE {len(_STAGES)} END"
)


def _insert_words(source_table: str, rows: str) -> str:
    return (
        f"INSERT INTO {WORDS} (word) "
        f"SELECT DISTINCT w.word FROM {rows} r, "
        f"regexp_split_to_table({_SOURCES[source_table]}, {_SPLIT}) AS w(word) "
        f"WHERE {_WANTED} "
        f"AND NOT EXISTS (SELECT 1 FROM {WORDS} s WHERE s.word = w.word)"
    )


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    # INCLUDE: what the surname lookup filters on, so that it never needs
    # to read the table (an index-only scan).
    run(
        "CREATE INDEX IF NOT EXISTS contacts_contact_name_c_idx "
        'ON contacts_contact ((sort_name COLLATE "C"), id) '
        "INCLUDE (sort_name, owner_id, team_id)"
    )
    run(
        "CREATE INDEX IF NOT EXISTS contacts_contact_first_name_c_idx "
        f'ON contacts_contact (({_FIRST_NAME} COLLATE "C"), '
        '(sort_name COLLATE "C"), id) '
        "INCLUDE (first_name, sort_name, owner_id, team_id)"
    )
    # Joins to contacts that check visibility (the tag filter, search's
    # sample) read the owner and team from the index, not from the table.
    run(
        "CREATE INDEX IF NOT EXISTS contacts_contact_visible_idx "
        "ON contacts_contact (id) INCLUDE (owner_id, team_id)"
    )
    for name, direction in (("stage_order", ""), ("stage_order_desc", " DESC")):
        run(
            f"CREATE INDEX IF NOT EXISTS contacts_contact_{name}_idx "
            f"ON contacts_contact (({STAGE_ORDER}){direction}, sort_name, id)"
        )
    run(f"CREATE TABLE IF NOT EXISTS {WORDS} (word text NOT NULL)")
    for table in _SOURCES:
        run(_insert_words(table, table))
    run(f"CREATE INDEX IF NOT EXISTS {WORDS}_word_idx ON {WORDS} (word)")
    run(
        f"CREATE INDEX IF NOT EXISTS {WORDS}_trgm "
        f"ON {WORDS} USING gin (word gin_trgm_ops)"
    )
    for table in _SOURCES:
        run(
            f"CREATE OR REPLACE FUNCTION {table}_searchwords() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {_insert_words(table, 'new_rows')}; "
            f"RETURN NULL; END $$"
        )
        for event in ("INSERT", "UPDATE"):
            run(
                f"CREATE TRIGGER {table}_searchwords_{event.lower()} "
                f"AFTER {event} ON {table} REFERENCING NEW TABLE AS new_rows "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_searchwords()"
            )
    # pg_trgm estimates LIKE '%…%' on search keys from the column's
    # histogram; with the default 100 entries "weber" looked like 100 rows
    # instead of 22,000, and the API walked the wrong way to its first page.
    for table in ("contacts_contact", "contacts_company"):
        run(f"ALTER TABLE {table} ALTER COLUMN search_key SET STATISTICS 1000")
        run(f"ANALYZE {table}")
    run(f"ANALYZE {WORDS}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    for table in ("contacts_contact", "contacts_company"):
        run(f"ALTER TABLE {table} ALTER COLUMN search_key SET STATISTICS -1")
    for table in _SOURCES:
        for event in ("insert", "update"):
            run(f"DROP TRIGGER IF EXISTS {table}_searchwords_{event} ON {table}")
        run(f"DROP FUNCTION IF EXISTS {table}_searchwords()")
    run(f"DROP TABLE IF EXISTS {WORDS}")
    run("DROP INDEX IF EXISTS contacts_contact_name_c_idx")
    run("DROP INDEX IF EXISTS contacts_contact_first_name_c_idx")
    run("DROP INDEX IF EXISTS contacts_contact_visible_idx")
    run("DROP INDEX IF EXISTS contacts_contact_stage_order_idx")
    run("DROP INDEX IF EXISTS contacts_contact_stage_order_desc_idx")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0006_importjob_first_rows")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
