"""Search on PostgreSQL, fast at a million contacts.

Three structures serve it (migrations 0003 and 0007):

* a GIN trigram index on ``search_key``, which finds substrings
  (``LIKE '%mueller%'``) quickly however common they are;
* ``contacts_searchword``, a dictionary of the words in contacts' and
  companies' names, kept by triggers, with a trigram index of its own. A word
  that may be misspelt is looked up there first: "mueler" becomes "mueller",
  "schmitt" also "schmidt". The big table is then searched for those words as
  substrings. Asking pg_trgm's similarity operators of the big table instead
  reads tens of thousands of index entries and computes a similarity for each
  row, which took up to a second for a common name;
* b-trees on ``sort_name`` and on the folded first name, in the "C"
  collation, in which the names starting with what someone types are a
  range, already in order.

Search-as-you-type (:func:`quick_search`) takes the contacts whose surname,
then those whose first name, starts with what was typed, in name order, and
only when those are too few ranks a bounded sample of the other matches.
Lists (:func:`search`) rank every match, as their pages need.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection, transaction
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When

CANDIDATES = 100  # the most rows search-as-you-type ranks beyond the surnames
ALTERNATIVES = 5  # known words tried for a word, at most
RESPELT = 2  # of those, looked up as the start of a name
FUZZY_MIN = 3  # letters a word needs before a misspelling is forgiven
LEADS = 2  # query words tried as the start of a name
KEY_HIT_WEIGHT = 0.01  # see sqlite.KEY_HIT_WEIGHT
NAME_START_BONUS = 0.5  # see sqlite.NAME_START_BONUS
RESPELT_SCORE = 2.0  # what _ALTERNATIVES_SQL gives a spelling with umlauts

WORDS_TABLE = "contacts_searchword"
NAME_FIELDS = {"contacts_contact": "sort_name", "contacts_company": "search_key"}

# For each query word, whether the dictionary knows it, and the known words
# it may mean, best first: its spellings with umlauts written out ("muller"
# -> "mueller"), then the words pg_trgm finds close to it. Words containing
# the query word are left out: they match as substrings anyway.
_ALTERNATIVES_SQL = f"""
SELECT a.word, a.alternative, a.score FROM (
    SELECT q.word, q.word AS alternative, 3.0::real AS score
    FROM unnest(%s::text[]) AS q(word)
    WHERE EXISTS (SELECT 1 FROM {WORDS_TABLE} s WHERE s.word = q.word)
    UNION ALL
    SELECT v.word, v.alternative, 2.0::real
    FROM unnest(%s::text[], %s::text[]) AS v(word, alternative)
    WHERE EXISTS (SELECT 1 FROM {WORDS_TABLE} s WHERE s.word = v.alternative)
    UNION ALL
    SELECT q.word, d.word, d.score
    FROM unnest(%s::text[]) AS q(word)
    CROSS JOIN LATERAL (
        SELECT w.word, word_similarity(q.word, w.word) AS score
        FROM {WORDS_TABLE} w
        WHERE w.word %%> q.word AND strpos(w.word, q.word) = 0
        GROUP BY w.word
        ORDER BY 2 DESC, 1
        LIMIT %s
    ) d
) a
ORDER BY a.word, a.score DESC, a.alternative
"""  # noqa: S608 - constants only


@dataclass
class Alternatives:
    """Known words a query word may mean; ``respelt`` ones are umlauts written out."""

    close: dict[str, list[str]] = field(default_factory=dict)
    respelt: dict[str, list[str]] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)

    def get(self, word: str, default=()):
        return self.close.get(word, default)

    def likely_meant(self, word: str) -> list[str]:
        """Return the words to look up as names instead of ``word``, best first.

        Umlauts written out always; close words only for a word the
        dictionary does not know: "schmitt" is a name of its own.
        """
        found = list(self.respelt.get(word, []))
        if word not in self.known:
            found += [w for w in self.close.get(word, []) if w not in found]
        return found


def respellings(word: str) -> list[str]:
    """Return ``word`` with umlauts written out where it may have dropped them.

    "muller" -> ["mueller"], "jurgen" -> ["juergen"]; at most three vowels
    are tried, so at most seven spellings.
    """
    spots = [i for i, c in enumerate(word) if c in "aou" and word[i + 1 : i + 2] != "e"]
    if not spots or len(spots) > 3:
        return []
    spelt = []
    for mask in range(1, 2 ** len(spots)):
        chars = list(word)
        for bit, i in enumerate(spots):
            if mask >> bit & 1:
                chars[i] += "e"
        spelt.append("".join(chars))
    return spelt


def alternatives(words: list[str]) -> Alternatives:
    """Return, for each word of three letters or more, the known words it may mean."""
    found = Alternatives()
    fuzzy = [word for word in words if len(word) >= FUZZY_MIN]
    if not fuzzy:
        return found
    pairs = [(word, spelt) for word in fuzzy for spelt in respellings(word)]
    with connection.cursor() as cursor:
        cursor.execute(
            _ALTERNATIVES_SQL,
            [
                fuzzy,
                [w for w, _s in pairs],
                [s for _w, s in pairs],
                fuzzy,
                ALTERNATIVES,
            ],
        )
        for word, alternative, score in cursor.fetchall():
            if alternative == word:
                found.known.add(word)
                continue
            close = found.close.setdefault(word, [])
            if alternative not in close and len(close) < ALTERNATIVES:
                close.append(alternative)
                if score == RESPELT_SCORE:
                    found.respelt.setdefault(word, []).append(alternative)
    return found


def _condition(words: list[str], close: Alternatives) -> Q:
    condition = Q()
    for word in words:
        match = Q(search_key__contains=word)
        for alternative in close.get(word, ()):
            match |= Q(search_key__contains=alternative)
        condition &= match
    return condition


def _rank(qs: QuerySet, words: list[str]):
    """Return the rank: similarity of the words to the name, then words in the key."""
    from django.contrib.postgres.search import TrigramStrictWordSimilarity

    field = NAME_FIELDS[qs.model._meta.db_table]
    rank = None
    for word in words:
        # "Strict": a word is compared with whole words of the name, never
        # with a stretch across two ("schueler f mueller" is not "mueler").
        part = (
            TrigramStrictWordSimilarity(Value(word), F(field))
            + Case(
                When(**{f"{field}__startswith": word}, then=Value(NAME_START_BONUS)),
                default=Value(0.0),
                output_field=FloatField(),
            )
            + Case(
                When(search_key__contains=word, then=Value(KEY_HIT_WEIGHT)),
                default=Value(0.0),
                output_field=FloatField(),
            )
        )
        rank = part if rank is None else rank + part
    return rank


def search(qs: QuerySet, words: list[str]) -> QuerySet:
    condition = _condition(words, alternatives(words))
    return qs.filter(condition).annotate(rank=_rank(qs, words))


def _successor(word: str) -> str:
    """Return the first string after every string starting with ``word``."""
    return word[:-1] + chr(ord(word[-1]) + 1)


# The expressions the migration's indexes are built on, verbatim: PostgreSQL
# uses an expression index only for exactly the same expression.
_TABLE = "contacts_contact"
_NAME_KEY = f'{_TABLE}.sort_name COLLATE "C"'
_FIRST_KEY = (
    f"replace(replace(replace(replace(lower({_TABLE}.first_name), "
    "'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss') COLLATE \"C\""
)
_ORDERS = {
    _NAME_KEY: f"{_NAME_KEY}, {_TABLE}.id",
    _FIRST_KEY: f"{_FIRST_KEY}, {_NAME_KEY}, {_TABLE}.id",
}


def _visibility(qs: QuerySet) -> tuple[str, list]:
    """Return the WHERE of ``qs`` (the viewer's visibility) as SQL and params."""
    compiler = qs.query.get_compiler(using=qs.db)
    try:
        sql, params = compiler.compile(qs.query.where)
    except FullResultSet:
        return "TRUE", []
    except EmptyResultSet:
        return "FALSE", []
    return f"({sql})", list(params)


def _arm(key: str, start: str, others, *, visible, limit: int, tier: int):
    """Return SQL and params: (tier, sort name, id) of names starting with ``start``.

    The first ``limit`` rows in the order of the index on ``key``; ``others``
    are words that must start a word of the name too.
    """
    where, params = visible
    conditions = [where, f"{key} >= %s", f"{key} < %s"]
    values = [*params, start, _successor(start)]
    for word in others:
        # Starts a word of the name: after the start, a space or a hyphen.
        conditions.append(
            f"({_TABLE}.sort_name LIKE %s OR {_TABLE}.sort_name LIKE %s "
            f"OR {_TABLE}.sort_name LIKE %s)"
        )
        values += [f"{word}%", f"% {word}%", f"%-{word}%"]
    # Only constants and the compiled visibility go into the text; the
    # words are parameters.
    sql = (
        f"(SELECT {int(tier)} AS tier, {_TABLE}.sort_name, {_TABLE}.id "  # noqa: S608
        f"FROM {_TABLE} WHERE {' AND '.join(conditions)} "
        f"ORDER BY {_ORDERS[key]} LIMIT {int(limit)})"
    )
    return sql, values


def _name_steps(
    visible, words: list[str], *, limit: int, tier: int, leads=None
) -> list[list]:
    """Return the lookups of contacts whose surname or first name starts with a word.

    In steps, each a list of queries, cheapest first; the next step is
    needed only if the ones before found too few. First the whole query as
    the name reads ("müller jürgen", "jürgen müller"), one range of the name
    index. Then the longest words lead, as the start of the surname (tier
    ``tier``) or of the first name (tier ``tier + 1``), and the other words
    must start a word of the name: "jürgen mü" finds "Müller, Jürgen".

    The indexes include what the filters read (name, owner, team), so all of
    these are index-only scans, and none reads more than the range of its
    lead word: at a million contacts the commonest names (Müller, Anna) are
    some 25,000 entries, a few milliseconds. Short words (under
    ``FUZZY_MIN``) lead only alone: "mü" is a range, "mü a" would be many.
    """
    steps = []
    if len(words) > 1:
        names = dict.fromkeys([" ".join(words), " ".join([words[-1], *words[:-1]])])
        steps.append(
            [
                _arm(_NAME_KEY, name, (), visible=visible, limit=limit, tier=tier)
                for name in names
            ]
        )
    if leads is None:
        leads = sorted(words, key=len, reverse=True)[:LEADS]
        if len(words) > 1:
            leads = [lead for lead in leads if len(lead) >= FUZZY_MIN]
    arms = []
    for lead in leads:
        others = [word for word in words if word != lead]
        for key, rank in ((_NAME_KEY, tier), (_FIRST_KEY, tier + 1)):
            arms.append(
                _arm(key, lead, others, visible=visible, limit=limit, tier=rank)
            )
    if arms:
        steps.append(arms)
    return steps


def _respelt_queries(words: list[str], close: Alternatives) -> list[tuple]:
    """Return the query with misspelt words replaced by words they may mean.

    As (words, replaced words) pairs, at most ``RESPELT`` of them: every
    word replaced by its likeliest meaning first ("jurgen muller" ->
    "juergen mueller"), then one word at a time.
    """
    meanings = {word: close.likely_meant(word) for word in words}
    variants = []
    if any(meanings.values()):
        best = [meanings[word][0] if meanings[word] else word for word in words]
        variants.append((best, [w for w in best if w not in words]))
    for i, word in enumerate(words):
        for meant in meanings[word][:RESPELT]:
            variant = [*words[:i], meant, *words[i + 1 :]]
            if variant != variants[0][0]:
                variants.append((variant, [meant]))
    return variants[:RESPELT]


def _found(arms: list) -> list[int]:
    """Return the ids the ``arms`` found, by tier and then in name order, each once."""
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(sql for sql, _params in arms),
            [param for _sql, params in arms for param in params],
        )
        rows = cursor.fetchall()
    return list(dict.fromkeys(pk for _tier, _name, pk in sorted(rows)))


def _look_up(steps: list[list], ids: list[int], *, limit: int) -> None:
    """Add to ``ids`` what the ``steps`` find, until there are ``limit``."""
    for arms in steps:
        if len(ids) >= limit:
            return
        for pk in _found(arms):
            if len(ids) >= limit:
                return
            if pk not in ids:
                ids.append(pk)


def quick_search(
    qs: QuerySet, words: list[str], *, limit: int, names: bool = True
) -> list:
    """Return the best ``limit`` matches: names in name order, then a ranked sample.

    1. Contacts whose surname starts with what was typed, in name order;
       then those whose first name does ("jürg").
    2. If too few: the same for the known words a misspelt word may mean
       ("mueler" -> "mueller", "muller" -> "mueller").
    3. If still too few: up to ``CANDIDATES`` other matches (emails, phones,
       companies, words inside names), ranked by their name's similarity.

    ``names=False`` (an email address, a phone number) skips 1 and 2.
    """
    ids: list[int] = []
    contacts = names and NAME_FIELDS[qs.model._meta.db_table] == "sort_name"
    if contacts:
        visible = _visibility(qs)
        _look_up(_name_steps(visible, words, limit=limit, tier=1), ids, limit=limit)
    if len(ids) >= limit or not any(len(word) >= FUZZY_MIN for word in words):
        return _rows(qs, ids)
    close = alternatives(words)
    if contacts:
        for variant, meant in _respelt_queries(words, close):
            steps = _name_steps(visible, variant, limit=limit, tier=3, leads=meant)
            _look_up(steps, ids, limit=limit)
    ranked = []
    if len(ids) < limit:
        ranked = _ranked_sample(qs, words, close, exclude=ids, limit=limit - len(ids))
    return _rows(qs, ids) + ranked


def _rows(qs: QuerySet, ids: list[int]) -> list:
    if not ids:
        return []
    rows = {row.pk: row for row in qs.filter(pk__in=ids)}
    return [rows[pk] for pk in ids if pk in rows]


def _ranked_sample(qs: QuerySet, words, close, *, exclude, limit: int) -> list:
    """Return the best ``limit`` of a bounded sample of the matches.

    A sample, not all of them: "web" or a common first name matches tens of
    thousands of rows, and ranking them all is what made search slow. The
    sample comes in the index's order; the name lookups before it already
    covered the common cases of typing a name.
    """
    # Only the likely meanings: a word the dictionary knows ("mies") is meant
    # as typed, and each close word is one more index scan.
    likely = Alternatives(close={word: close.likely_meant(word) for word in words})
    matching = qs.filter(_condition(words, likely))
    if exclude:
        matching = matching.exclude(pk__in=exclude)
    sample = matching.order_by().values("pk")[:CANDIDATES]
    ranked = (
        qs.filter(pk__in=sample)
        .annotate(rank=_rank(qs, words))
        .order_by("-rank", *qs.model._meta.ordering)[:limit]
    )
    with _no_sequential_scan():
        return list(ranked)


@contextmanager
def _no_sequential_scan():
    """Keep PostgreSQL from reading the table in order to find a LIMITed sample.

    With a LIMIT, the planner bets that a sequential scan meets enough
    matches early. For a word that is common overall but rare among the
    records a sales rep sees, it read 60,000 rows (45 ms) where the trigram
    index found them in 10 ms; for one rarer than estimated, it would read
    the whole table. ``SET LOCAL`` lasts until the transaction ends, so it
    is reset at once, in case this runs inside a longer one.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        try:
            yield
        finally:
            cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")
