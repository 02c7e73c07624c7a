"""Who holds which view: the sentences of an article that carry each actor's views, by rule.

No model is involved. ``analyse`` splits the article with the package's own sentence splitter
(so offsets agree with grounding), finds the sentences that report a view and gives each to its
holder. The positions pass shows a small model, per actor, only that actor's sentences
(``Analysis.evidence_for``), so the evidence it cites is verbatim and belongs to its holder by
construction. Recall and precision against the dev set: ``python benchmarks/attribution.py``.

What counts as a view
  * a reporting or stance verb with a subject: "said", "told", "according to", "called for",
    "urged", "warned", "rejected", "believes", "wants", "plans", "has ruled out", "is ready
    to"... The subject is read leftwards from the verb, over auxiliaries and adverbs ("has
    repeatedly called"), asides ("Poland, on the other hand, announced"), relative clauses,
    ages and brackets; or rightwards after a quotation or a comma ('"...," said X');
  * a quotation: the speaker named in any sentence it spans holds all of them ('"We are not
    against machines. We are against ...," Okafor said'). A quotation with no speaker of its
    own continues the last speaker of its paragraph, or, when it opens a paragraph, the last
    speaker of the paragraph before; a paragraph ending "X noted:" hands X the quotation that
    opens the next one.
  Not views: negated saying ("would not say"), infinitives ("to oppose"), passives ("backed
  by"), cue words used as nouns ("the union's demands", "press secretary"), clauses after
  "whether", "if", "before"..., and headings (short lines that do not end like a sentence).

Who the holder is
  * a name resolves to the full name first mentioned in the article: a surname ("Okafor" is
    "Dana Okafor"), the first word of an organisation ("Freshway") or its initials ("WHO");
  * of a name and a role in apposition the named person holds the view and the organisation
    in the role becomes the ``principal`` ("Martin Lindqvist, the association's chief
    executive"; "Peter Halloran, president of the Growers Federation"); an unnamed
    spokesperson gives the view to the body ("a Kremlin spokesman", "Midland's chief
    executive"), while another dependant is a holder of its own ("Tshisekedi's party");
  * "he"/"she" stand for the first fitting person named earlier in the same sentence, else the
    last person in focus (a speaker or a sentence's subject, at most six sentences back) whose
    known gender does not clash; "it"/"they" likewise for organisations and groups;
  * a role noun ("the union", "the mayor", "the company", "the electoral commission
    president") stands for the last actor whose name, title or apposition has that noun, the
    one sharing most modifiers first;
  * unnamed holders are kept as written when indefinite or plural ("a senior official from a
    major EU country" is "senior official", "critics", "European leaders");
  * a view reported inside another speaker's statement goes to its own subject too, with
    ``reported_by`` ("Ngoy-Mulunda says Tshisekedi wants..."; a named subject inside a
    quotation), unless that subject is a pronoun, an unnamed group or the speaker's own body.
  What cannot be resolved is skipped, never guessed.

Limits
  These rules read surface patterns, not parses. Missed: stance verbs outside the lexicon
  ("is consolidating"), subjects after a long lower-case clause, cataphora ("the utility"
  before its name is given), role nouns never attached to a name ("the newspaper"), holders
  of a view that is only described ("hundreds of them marched, protesting"). A quotation whose
  marks do not balance runs to the end of its paragraph; "he" with no known gender takes the
  last person. Work is linear in the article's length (a clause is read at most 80 tokens
  back, a pronoun at most six sentences).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from summarize.chunking import split_sentences
from summarize.names import mentioned_names, name_key, name_keys, surname

__all__ = ["Actor", "ActorKind", "Analysis", "Attribution", "Sentence", "analyse"]

ActorKind = Literal["person", "organization", "group", "other"]


# --- the public result -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    """One sentence of the article: ``article[start:end] == text``."""

    index: int  # position in Analysis.sentences
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Attribution:
    """A sentence that carries ``holder``'s view, and the rule that said so."""

    sentence: Sentence
    holder: str  # canonical name as the article writes it ("Emmanuel Macron", "critics")
    cue: str  # the rule that fired: "said", "according to", "quote", "quote continuation"...
    principal: str = ""  # whom the holder speaks for ("Calder Terminal Operators Association")
    reported_by: str = ""  # the speaker who reported this view, when it is reported speech


@dataclass(frozen=True)
class Actor:
    """A holder (or principal) as the article names it, with the other forms it uses for it."""

    name: str
    kind: ActorKind
    aliases: tuple[str, ...] = ()

    def keys(self) -> set[str]:
        return name_keys(self.name, self.aliases, person=self.kind == "person")


@dataclass(frozen=True)
class Analysis:
    article: str
    sentences: list[Sentence]
    names: list[str]  # summarize.names.mentioned_names(article), every one of them
    attributions: list[Attribution]  # in article order
    actors: list[Actor] = field(default_factory=list)  # every holder and principal

    def holders(self) -> list[str]:
        """Distinct holders, in order of first attribution."""
        return list(dict.fromkeys(a.holder for a in self.attributions))

    @cached_property
    def _actor_keys(self) -> dict[str, set[str]]:
        return {actor.name: actor.keys() for actor in self.actors}

    def _keys(self, name: str) -> set[str]:
        keys = self._actor_keys.get(name)
        return keys if keys is not None else name_keys(name, person=False)

    def attributions_for(
        self, name: str, aliases: Iterable[str] = (), *, person: bool = True
    ) -> list[Attribution]:
        """The attributions of an actor named by a model (its spelling may differ).

        An organisation (``person=False``) also gets what its named spokespeople said; a
        person never gets what their organisation or party said.
        """
        wanted = name_keys(name, aliases, person=person)
        return [
            a
            for a in self.attributions
            if self._keys(a.holder) & wanted
            or (not person and a.principal and self._keys(a.principal) & wanted)
        ]

    def evidence_for(
        self, name: str, aliases: Iterable[str] = (), *, person: bool = True
    ) -> list[Sentence]:
        """Candidate evidence sentences for an actor named by a model (name + aliases may differ
        from the article's spelling: matched with ``names.name_keys``), in article order."""
        found = {
            a.sentence.index: a.sentence
            for a in self.attributions_for(name, aliases, person=person)
        }
        return [found[i] for i in sorted(found)]


def analyse(article: str) -> Analysis:
    """Sentences, names and attributions of a (cleaned) article."""
    return _Analyser(article).run()


# --- lexicons --------------------------------------------------------------------------------

# Verbs that report speech and may come before their subject ('"...," said Martin Lindqvist').
_SPEECH_VERBS = (
    "say", "tell", "add", "write", "ask", "note", "state", "explain", "reply", "respond",
    "answer", "insist", "argue", "warn", "claim", "continue", "recall", "declare", "remark",
    "observe", "comment", "conclude", "stress", "emphasise", "emphasize", "acknowledge",
    "admit", "concede", "contend", "maintain", "counter", "complain", "announce", "confirm",
    "deny", "predict", "suggest", "agree", "report", "tweet", "testify", "caution", "assert",
    "allege", "estimate", "reiterate",
)  # fmt: skip
# Verbs of stance: what an actor wants, holds, proposes or opposes.
_STANCE_VERBS = (
    "urge", "demand", "reject", "propose", "accuse", "vow", "pledge", "promise", "criticise",
    "criticize", "praise", "welcome", "condemn", "believe", "want", "hope", "fear", "expect",
    "recommend", "oppose", "support", "back", "endorse", "defend", "deplore", "blame",
    "dismiss", "describe", "offer", "threaten", "refuse", "plan", "intend", "seek", "campaign",
    "push", "press", "lobby", "appeal", "object", "question", "doubt", "challenge", "dispute",
    "favour", "favor", "prefer", "consider", "think", "feel", "view", "regard", "express",
    "applaud", "hail", "slam", "decry", "denounce", "worry", "call", "rule", "advocate",
    "advise", "see", "protest",
)  # fmt: skip
_IRREGULAR = {
    "say": ("say", "says", "said", "saying"),
    "tell": ("tell", "tells", "told", "telling"),
    "write": ("write", "writes", "wrote", "written", "writing"),
    "think": ("think", "thinks", "thought", "thinking"),
    "feel": ("feel", "feels", "felt", "feeling"),
    "seek": ("seek", "seeks", "sought", "seeking"),
    "see": ("see", "sees"),  # not "saw": seeing is rarely a view in the past tense
}
_DOUBLED = frozenset({"plan", "admit", "commit", "prefer", "slam", "ban", "bar", "regret", "rebut"})
# Adjectives that carry a stance after "is/are/was/were" ("European leaders are not ready to").
_STANCE_ADJECTIVES = frozenset(
    {
        "ready", "willing", "unwilling", "determined", "prepared", "opposed", "committed",
        "keen", "eager", "reluctant", "confident", "convinced", "concerned", "worried",
        "skeptical", "sceptical", "adamant",
    }
)  # fmt: skip
# Verbs whose negation reports nothing ("would not say how much").
_SAY_LIKE = frozenset({"say", "tell", "comment", "confirm", "specify", "disclose", "reveal"})


def _forms(base: str) -> tuple[str, ...]:
    if base in _IRREGULAR:
        return _IRREGULAR[base]
    consonant_y = base.endswith("y") and base[-2] not in "aeiou"
    if base.endswith(("s", "sh", "ch", "x", "z")):
        third = base + "es"
    else:
        third = base[:-1] + "ies" if consonant_y else base + "s"
    if base.endswith("e"):
        past = base + "d"
    elif consonant_y:
        past = base[:-1] + "ied"
    else:
        past = base + base[-1] + "ed" if base in _DOUBLED else base + "ed"
    if base.endswith("e") and not base.endswith(("ee", "ye", "oe")):
        gerund = base[:-1] + "ing"
    else:
        gerund = base + base[-1] + "ing" if base in _DOUBLED else base + "ing"
    return base, third, past, gerund


def _verb_table() -> dict[str, tuple[str, str]]:
    """Every form of every cue verb -> (base form, "base" | "third" | "past" | "gerund")."""
    table: dict[str, tuple[str, str]] = {}
    for base in (*_SPEECH_VERBS, *_STANCE_VERBS):
        for form in _forms(base):
            kind = (
                "base"
                if form == base
                else "gerund"
                if form.endswith("ing")
                else "third"
                if form.endswith("s")
                else "past"
            )
            table.setdefault(form, (base, kind))
    return table


_VERBS = _verb_table()
_SPEECH = frozenset(_SPEECH_VERBS)

# People named by their role ("the minister", "a senior official", "union president").
_PERSON_ROLES = frozenset(
    {
        "president", "minister", "premier", "chancellor", "secretary", "spokesman",
        "spokeswoman", "spokesperson", "mayor", "judge", "justice", "chair", "chairman",
        "chairwoman", "chairperson", "director", "executive", "ceo", "head", "leader",
        "official", "lawmaker", "legislator", "senator", "congressman", "congresswoman",
        "governor", "lawyer", "attorney", "prosecutor", "researcher", "scientist", "author",
        "editor", "analyst", "economist", "expert", "professor", "doctor", "physician",
        "commissioner", "chief", "manager", "founder", "owner", "farmer", "fisherman",
        "villager", "resident", "worker", "representative", "ambassador", "envoy", "diplomat",
        "officer", "member", "candidate", "opponent", "challenger", "correspondent",
        "reporter", "king", "queen", "prince", "princess", "pope", "commander", "councillor",
        "councilman", "councilwoman", "councilor", "politician", "activist", "campaigner",
        "advocate", "negotiator",
        "adviser", "advisor", "aide", "deputy", "treasurer", "teacher", "student", "parent",
        "critic", "observer", "citizen", "voter", "protester", "protestor", "supporter",
        "shopper", "investor", "employee", "trader", "banker", "boss", "superintendent",
        "administrator", "inspector", "auditor",
    }
)  # fmt: skip
# Organisations named by their kind ("the union", "the company", "the Board").
_ORG_ROLES = frozenset(
    {
        "union", "company", "firm", "group", "association", "authority", "regulator", "board",
        "commission", "council", "court", "government", "ministry", "department", "agency",
        "coalition", "federation", "cooperative", "co-operative", "foundation", "journal",
        "newspaper", "paper", "broadcaster", "university", "institute", "party",
        "administration", "utility", "operator", "carrier", "chain", "bank", "army",
        "military", "police", "organization", "organisation", "committee", "parliament",
        "congress", "senate", "cabinet", "alliance", "bloc", "club", "league", "network",
        "charity", "campaign", "movement", "opposition", "presidency", "embassy", "office",
        "tribunal", "panel", "watchdog", "consortium", "venture", "developer", "manufacturer",
        "maker", "producer", "retailer", "supermarket", "airline", "insurer", "lender",
        "school", "hospital", "city", "state", "country", "nation", "province", "municipality",
        "business", "corporation",
    }
)  # fmt: skip
# Kinds of organisation that "the company" may stand for (a union or a court may not).
_BUSINESS_ROLES = frozenset(
    {
        "company", "firm", "group", "business", "corporation", "utility", "operator",
        "carrier", "chain", "bank", "retailer", "supermarket", "airline", "insurer", "lender",
        "developer", "manufacturer", "maker", "producer", "venture", "consortium",
    }
)  # fmt: skip
# People and bodies that speak for their principal: "X's spokesman said" is X's view.
_REPRESENTATIVES = frozenset(
    {
        "spokesman", "spokeswoman", "spokesperson", "spokesmen", "spokeswomen", "spokespeople",
        "official", "officials", "executive", "executives", "chief", "director", "chair",
        "chairman", "chairwoman", "chairperson", "head", "president", "secretary", "lawyer",
        "lawyers", "attorney", "attorneys", "representative", "representatives", "board",
        "management", "leadership", "office", "leader", "leaders", "ceo", "editor", "author",
        "members", "staff", "employees", "workers",
    }
)  # fmt: skip
# Plural nouns for groups that hold views ("critics say", "European leaders are not ready").
_GROUP_NOUNS = frozenset(
    {
        "critics", "analysts", "officials", "experts", "residents", "villagers", "farmers",
        "workers", "protesters", "protestors", "supporters", "opponents", "leaders",
        "countries", "governments", "allies", "groups", "researchers", "scientists", "doctors",
        "economists", "investors", "voters", "parents", "teachers", "students", "activists",
        "lawmakers", "diplomats", "people", "families", "owners", "members", "employees",
        "shoppers", "environmentalists", "campaigners", "unions", "companies", "authorities",
        "observers", "commentators", "locals", "citizens", "sources", "insiders", "witnesses",
        "neighbours", "neighbors", "ministers", "prosecutors", "scholars", "academics",
        "politicians", "nations", "states", "partners", "donors", "lenders", "banks",
        "creditors", "legislators", "senators", "judges", "lawyers", "fishermen",
        "spokesmen", "businesses", "firms", "retailers", "growers", "operators", "candidates",
    }
)  # fmt: skip
_GENDER = {
    "spokeswoman": "f", "chairwoman": "f", "congresswoman": "f", "businesswoman": "f",
    "queen": "f", "princess": "f", "mrs": "f", "ms": "f", "miss": "f", "dame": "f",
    "lady": "f", "spokesman": "m", "chairman": "m", "congressman": "m", "businessman": "m",
    "king": "m", "prince": "m", "mr": "m", "sir": "m", "lord": "m",
}  # fmt: skip
# Words that make a name an organisation's or a place's.
_ORG_NAME_WORDS = frozenset(
    {
        "union", "association", "lines", "foods", "markets", "board", "commission", "bureau",
        "chamber", "coalition", "council", "court", "federation", "cooperative", "authority",
        "institute", "university", "college", "watch", "power", "beverages", "ministry", "party",
        "group", "bank", "fund", "organization", "organisation", "department", "agency", "office",
        "company", "corp", "corporation", "inc", "ltd", "llc", "plc", "news", "times", "journal",
        "foundation", "press", "post", "airlines", "airways", "motors", "energy", "electric",
        "holdings", "partners", "capital", "systems", "technologies", "labs", "pharmaceuticals",
        "industries", "network", "society", "trust", "alliance", "forum", "assembly", "parliament",
        "congress", "senate", "committee", "cabinet", "government", "administration", "service",
        "services", "police", "army", "force", "forces", "navy", "reserve", "exchange", "school",
        "hospital", "church", "club", "league", "workers", "growers", "farmers", "reliability",
    }
)  # fmt: skip
_PLACE_NAME_WORDS = frozenset(
    {
        "street", "road", "avenue", "river", "valley", "province", "sea", "ocean", "mountains",
        "lake", "city", "county", "island", "islands", "square", "bridge", "district",
        "region", "village", "town", "port", "bay", "coast", "gulf", "peninsula", "strait",
        "desert", "forest", "hill", "hills", "heights", "airport", "station", "stadium",
        "hall", "states", "kingdom", "emirates",
    }
)  # fmt: skip
_PLACE_NOUNS = frozenset({"province", "district", "village", "county", "region", "river", "town"})
_DETERMINERS = frozenset(
    {
        "the", "a", "an", "one", "another", "some", "many", "several", "most", "other", "both",
        "each", "all", "every", "this", "these", "those", "few", "two", "three", "four",
        "five", "six", "seven", "eight", "nine", "ten", "dozens", "hundreds", "thousands",
        "no",
    }
)  # fmt: skip
_INDEFINITE = frozenset({"a", "an", "one", "another"})
_ARTICLES = frozenset(
    {"the", "a", "an", "this", "that", "these", "those", "another", "every", "no"}
)
_POSSESSIVE_PRONOUNS = frozenset({"its", "his", "her", "their", "our", "my", "your"})
_PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i", "you"})
_PREPOSITIONS = frozenset({"of", "from", "at", "with", "for", "in", "on"})
_AFFILIATIONS = frozenset({"of", "at", "with", "for"})  # "a lawyer with the coalition"
# Stripped between a subject and its verb ("Macron has actively", "Poland immediately").
_AUXILIARIES = frozenset(
    {
        "has", "have", "had", "is", "are", "was", "were", "be", "been", "being", "will",
        "would", "shall", "should", "can", "could", "may", "might", "must", "do", "does",
        "did", "not", "n't", "never", "also", "still", "already", "now", "then", "again",
        "all", "both", "each", "themselves", "himself", "herself", "itself", "repeatedly",
        "publicly", "privately", "previously", "recently", "immediately", "quickly", "later",
        "earlier", "once", "long", "ever", "further", "too", "yet", "just", "even", "actively",
        "reportedly", "initially", "first", "finally", "here", "there",
    }
)  # fmt: skip
_COPULAS = frozenset({"is", "are", "was", "were", "be", "been", "being", "remain", "remains"})
_MODALS = frozenset({"will", "would", "shall", "should", "can", "could", "may", "might", "must"})
_DO = frozenset({"do", "does", "did"})
# Verbs that cannot follow a verb: "Global challenges have given" makes "challenges" a noun.
_FINITE = frozenset(
    {
        "has", "have", "had", "is", "are", "was", "were", "will", "would", "can", "could",
        "should", "may", "might", "must", "do", "does", "did",
    }
)  # fmt: skip
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof"})
_LY_NOUNS = frozenset({"family", "ally", "rally", "supply", "assembly", "monopoly", "italy"})
# Cue words that are never nouns: "says school children have" is speech, not "appeals court".
_NEVER_NOUNS = frozenset({"says", "tells", "insists", "argues", "warns", "believes", "thinks"})
# Comma segments that open with these are adverbials, not subjects ("In a statement, X said").
_ADVERBIAL_STARTS = frozenset(
    {
        "in", "on", "at", "after", "before", "during", "since", "for", "from", "with",
        "without", "under", "despite", "following", "as", "like", "unlike", "together",
        "among", "amid", "over", "by", "through", "into", "across", "against", "along",
        "around", "behind", "beyond", "near", "earlier", "later", "meanwhile", "however",
        "instead", "also", "then", "now", "still", "yet", "too", "so", "first", "finally",
        "last", "this", "next", "previously", "separately", "similarly", "likewise",
        "moreover", "furthermore", "indeed", "yesterday", "today", "tonight", "although",
        "though", "while", "when", "whereas", "if", "because", "but",
    }
)  # fmt: skip
_CONJUNCTIONS = frozenset({"and", "but", "or", "though", "although", "while", "whereas", "yet"})
# Clauses that state no view: "whether it will appeal", "before it approved the permit".
_SUBORDINATORS = frozenset(
    ["whether", "if", "what", "before", "after", "when", "until", "unless", "once", "how", "why"]
)
_RELATIVES = frozenset({"who", "which", "whose", "whom", "where", "when"})
# A subject never reaches over these words.
_NP_STOPS = frozenset(
    {
        "that", "who", "which", "whose", "whom", "where", "when", "while", "whether", "if",
        "because", "as", "than", "and", "or", "but", "nor", "so", "to", "by", "not", "no",
        "said", "says",
    }
)  # fmt: skip
_NOT_NAMES = frozenset(
    {
        "a", "an", "according", "after", "although", "and", "as", "at", "before", "but", "by",
        "during", "earlier", "for", "from", "however", "if", "in", "it", "later", "meanwhile",
        "on", "since", "so", "that", "the", "then", "these", "this", "those", "to", "when",
        "while", "with", "yet", "i", "he", "she", "they", "we", "you", "his", "her", "its",
        "their", "our", "my", "your", "there", "here", "what", "how", "why", "who", "which",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "january", "february", "march", "april", "may", "june", "july", "august", "september",
        "october", "november", "december", "today", "yesterday",
        "tomorrow", "tonight",
    }
)  # fmt: skip
_ABBREVIATIONS = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|Gen|Sen|Rep|Gov|Lt|Col|Capt|Sgt|Adm|Jr|Sr|Corp|Inc|Ltd|Co|Plc)\."
)
_CAP = r"(?:(?:[A-Z]\.){2,}|[^\W\d_a-z][\w’'-]*)"
_RUN = re.compile(
    rf"(?:{_CAP})(?:[ ]+(?:(?:de|du|da|di|del|der|den|van|von|la|le|al|bin|ibn)[ ]+)*(?:{_CAP}))*"
)
_POSSESSIVE_END = re.compile(r"(?:['’]s|s['’])$", re.IGNORECASE)
_OPENING = "\"“«‘'"
_FILLER = "\u2063"  # stands for quoted text in the narration: never a word, never a space
_HARD_BOUNDARIES = frozenset({_FILLER, ";", ":", "—", "–", "[", "]"})
# "Journal of Adolescent Health Research", "Institute for Child Health".
_OF_NAME = re.compile(rf"({_CAP})[ ](?:of|for)[ ](?:the[ ])?({_CAP}(?:[ ]{_CAP})*)")
_DEMONYM = re.compile(r"(?:an|ian|ese|ish|ch|i|ic)$")
_PRONOUN_REACH = 6  # sentences a pronoun may look back over
_CLAUSE_REACH = 80  # tokens a verb's clause may reach back over


def _plural(noun: str) -> str:
    if noun.endswith("man"):
        return noun[:-3] + "men"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("s", "sh", "ch", "x")):
        return noun + "es"
    return noun + "s"


_PLURALS = frozenset(_plural(n) for n in _PERSON_ROLES | _ORG_ROLES) | _GROUP_NOUNS
_NOUNS = _PERSON_ROLES | _ORG_ROLES | _PLURALS
_NON_BUSINESS = _ORG_ROLES - _BUSINESS_ROLES
_TIME_WORDS = frozenset(
    {
        "week", "month", "year", "morning", "afternoon", "evening", "night", "weekend", "day",
        "days", "weeks", "months", "years", "summer", "winter", "spring", "autumn", "fall",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    }
)  # fmt: skip


# --- the working state of one analysis ---------------------------------------------------------


@dataclass(eq=False)
class _Entity:
    name: str
    kind: str  # person | organization | group | place | unknown (a multi-word name) | thing
    heads: set[str] = field(default_factory=set)  # role nouns it answers to: "union", "mayor"
    mods: set[str] = field(default_factory=set)  # words that describe it: "calder", "french"
    forms: dict[str, None] = field(default_factory=dict)  # the article's other names for it
    gender: str = ""
    principal: _Entity | None = None
    last_seen: int = -1  # offset of its last mention

    def is_person(self) -> bool:
        return self.kind in ("person", "unknown")


@dataclass
class _Token:
    start: int  # offsets in the article
    end: int
    text: str
    low: str  # folded, possessive gone
    poss: bool = False
    entity: _Entity | None = None  # a name
    titles: tuple[str, ...] = ()  # folded words before the name in its run ("french", "president")

    @property
    def word(self) -> bool:
        return self.text[:1].isalnum()


@dataclass
class _Phrase:
    """A noun phrase: a name, a pronoun or a role noun with what modifies it."""

    start: int  # token indices
    end: int
    head: _Token
    det: str = ""
    possessor: _Token | None = None
    mods: list[str] = field(default_factory=list)
    pp: list[_Phrase] = field(default_factory=list)  # "of Westfield University"
    prep: str = ""  # the preposition before it, when it is one of those phrases
    also: list[_Phrase] = field(default_factory=list)  # coordinated: "X and Y"

    @property
    def is_name(self) -> bool:
        return self.head.entity is not None

    @property
    def is_pronoun(self) -> bool:
        return self.head.entity is None and self.head.low in _PRONOUNS


@dataclass
class _Subject:
    phrase: _Phrase | None
    role: _Phrase | None = None  # an apposition: "the association's chief executive"
    nested_from: int | None = None  # token where the clause that embeds the subject begins
    coordinated: bool = False  # "... and urged": the subject of the verb before


@dataclass
class _Found:
    """One holder found for one cue."""

    entity: _Entity
    cue: str
    reporter: _Entity | None = None
    rule: str = ""  # how the subject was resolved: "name", "pronoun", "role", "unnamed"...


@dataclass
class _SentenceWork:
    sentence: Sentence
    narration: str  # the sentence with its quoted words blanked out
    found: list[_Found] = field(default_factory=list)
    cues: int = 0  # cue words seen, resolved or not
    quotes: list[tuple[int, int]] = field(default_factory=list)  # quotations that overlap it
    quoted: bool = False  # it contains quoted text
    colon: bool = False  # it ends with a colon


def _unpossessed(word: str) -> str:
    """ "Macron's" -> "Macron", "Valley Markets'" -> "Valley Markets"."""
    if word[-2:] in ("'s", "’s", "'S", "’S"):
        return word[:-2]
    return word[:-1] if word[-2:] in ("s'", "s’") else word


def _fold(text: str) -> str:
    return _unpossessed(text).replace("’", "'").casefold()


class _Analyser:
    def __init__(self, article: str) -> None:
        self.article = article
        self.names = _all_names(article)
        self.entities: dict[str, _Entity] = {}
        self.by_surname: dict[str, _Entity] = {}
        self.by_first: dict[str, _Entity | None] = {}  # None: two organisations share it
        self.by_head: dict[str, list[_Entity]] = {}
        self.by_word: dict[str, list[_Entity]] = {}  # a word of an organisation's name
        self.by_initials: dict[str, _Entity] = {}  # "WHO": World Health Organization
        self.local: list[tuple[int, _Entity]] = []  # names earlier in the current sentence
        self.focus: list[tuple[int, _Entity]] = []  # (sentence index, entity), in order
        self.last_business: _Entity | None = None
        self.sentence_index = 0
        for name in self.names:
            self._register(name)
        self._register_of_names()

    # --- the registry of actors -------------------------------------------------------------

    def _register(self, name: str, kind: str = "", *, compound: bool = False) -> _Entity:
        if not compound:
            name = name.rstrip("'’")  # "Valley Markets' board": the checklist keeps the mark
        key = name_key(name)
        found = self.entities.get(key)
        if found is not None:
            return found
        words = [_fold(w) for w in name.split()]
        if not kind and len(words) > 2 and words[0] in _PERSON_ROLES:
            # "Councilwoman Ana Ruiz": a title the checklist does not know
            person = self._register(name.split(" ", 1)[1], "person")
            self._add_heads(person, words[:1])
            self.entities[key] = person
            return person
        if not kind:
            if any(w in _ORG_NAME_WORDS for w in words):
                kind = "organization"
            elif words[-1] in _PLACE_NAME_WORDS:
                kind = "place"
            else:
                kind = "unknown" if len(words) > 1 else "thing"
        entity = _Entity(name=name, kind=kind, forms={name: None})
        self.entities[key] = entity
        if kind == "organization":
            self._add_heads(entity, {w for w in words if w in _ORG_ROLES} | {words[-1]})
            entity.mods.update(words)
            first = name_key(name.split()[0])
            if len(words) > 1 and first and first not in _NOT_NAMES and not compound:
                self.by_first[first] = None if first in self.by_first else entity
            for word in words:
                self.by_word.setdefault(word, []).append(entity)
            initials = "".join(w[0] for w in name.split() if w[:1].isupper())
            if len(initials) > 1 and not compound:
                self.by_initials.setdefault(initials, entity)
        elif kind in ("unknown", "person") and len(key.split()) > 1:
            self.by_surname.setdefault(surname(name), entity)
        return entity

    def _register_of_names(self) -> None:
        """Organisations named with "of"/"for": "Journal of Adolescent Health Research"."""
        for match in _OF_NAME.finditer(self.article):
            if _fold(match.group(1)) not in _ORG_NAME_WORDS | {"republic", "kingdom"}:
                continue
            start = match.start()
            # The capitalised words before the organisation word belong to the name too.
            before = re.search(rf"(?:{_CAP}[ ]){{1,4}}$", self.article[max(0, start - 80) : start])
            if before:
                start -= len(before.group(0))
            words = self.article[start : match.end()].split()
            while words and _fold(words[0]) in _NOT_NAMES:
                words = words[1:]
            if len(words) > 2:
                self._register(" ".join(words), "organization")

    def _add_heads(self, entity: _Entity, heads: Iterable[str]) -> None:
        for head in heads:
            if head and head not in entity.heads:
                entity.heads.add(head)
                self.by_head.setdefault(head, []).append(entity)
                gender = _GENDER.get(head, "")
                if gender and not entity.gender:
                    entity.gender = gender
                if head in _PERSON_ROLES and entity.kind in ("unknown", "thing"):
                    entity.kind = "person"

    def _lookup(
        self, words: list[str], *, initial: bool, after: str, possessive: bool = False
    ) -> tuple[int, _Entity | None]:
        """Where the name starts in a capitalised run, and whose name it is (``after``: the
        word that follows the run)."""
        n = len(words)
        for k in range(n):
            key = name_key(" ".join(words[k:]))
            if not key:
                continue
            entity = self.entities.get(key)
            if entity is None and k == n - 1:
                entity = self.by_surname.get(key) or self.by_first.get(key)
                if entity is not None and entity.kind == "unknown" and key in self.by_surname:
                    entity.kind = "person"  # only people are called by their surname
            if entity is not None:
                # Titles the key ignores are titles all the same: "French President" Macron.
                while k < n - 1 and name_key(" ".join(words[k + 1 :])) == key:
                    k += 1
                titles = [_fold(w).rstrip(".") for w in words[:k]]
                if (
                    k
                    and entity.kind == "organization"
                    and not any(
                        t in _PERSON_ROLES or t in _GENDER or _DEMONYM.search(t) for t in titles
                    )
                ):
                    # "Northern Medical College", though the checklist kept "Medical College"
                    whole = self._register(" ".join(words), "organization")
                    whole.forms.update(entity.forms)
                    return 0, whole
                return k, entity
        if n > 1 and _fold(words[-1]) in _ORG_NAME_WORDS:
            # "Justice Department": the checklist reads "Justice" as a judge's title
            return 0, self._register(" ".join(words), "organization")
        if n > 1:
            stripped = mentioned_names(" ".join(words))
            if stripped:
                name = stripped[0]
                return n - len(name.split()), self._register(name)
        word = words[-1]
        folded = _fold(word)
        if word.isupper() and len(word) > 1 and word.isalpha():
            acronym = self.by_initials.get(word)  # "WHO", "HRW"
            return n - 1, acronym if acronym is not None else self._register(word)
        if folded in _NOT_NAMES or folded in _PRONOUNS or folded in _HONORIFICS or len(folded) < 2:
            return n, None
        verb_next = after in _VERBS or after in _AUXILIARIES
        if initial and (
            folded in _NOUNS
            or folded in _DETERMINERS
            or folded.endswith("ing")
            or not (verb_next or after == "," or possessive)
        ):
            return n, None  # "Critics say", "Together with": a capital that starts a sentence
        if (
            _DEMONYM.search(folded)
            and not word.isupper()
            and not (verb_next and after not in _MODALS)
        ):
            return n, None  # "French", "Danish", "Congolese": adjectives, not actors
        return n - 1, self._register(word)

    # --- tokens -----------------------------------------------------------------------------

    def _tokens(self, narration: str, base: int) -> list[_Token]:
        """Words and punctuation of a narration, each capitalised name one token."""
        tokens: list[_Token] = []
        taken: list[tuple[int, int]] = []
        first_word = re.search(r"[^\W_]", narration)
        first = first_word.start() if first_word else 0
        runs = list(_RUN.finditer(narration))
        merged: list[tuple[int, int]] = []
        for run in runs:
            # "Institute" + " for " + "Child Health": one name when the registry knows it.
            if merged:
                gap = narration[merged[-1][1] : run.start()]
                if gap in (" of ", " for ", " of the ", " for the "):
                    whole = narration[merged[-1][0] : run.end()]
                    if name_key(whole) in self.entities:
                        merged[-1] = (merged[-1][0], run.end())
                        continue
            merged.append((run.start(), run.end()))
        for a, b in merged:
            words = [(m.start() + a, m.group()) for m in re.finditer(r"\S+", narration[a:b])]
            texts = [w for _, w in words]
            poss = bool(_POSSESSIVE_END.search(texts[-1])) and len(texts[-1]) > 2
            if poss:
                texts[-1] = _unpossessed(texts[-1])
            # Words that start sentences ("The", "In") are never part of a name.
            skip = 0
            while skip < len(texts) - 1 and _fold(texts[skip]) in _NOT_NAMES:
                skip += 1
            following = re.match(r"\s*([\w’'-]+|[^\w\s])", narration[b:])
            k, entity = self._lookup(
                texts[skip:],
                initial=(words[skip][0] == a == first),
                after=following.group(1).casefold() if following else "",
                possessive=poss,
            )
            if entity is None:
                continue
            k += skip
            if k >= len(texts):
                continue
            start = base + words[skip][0]
            end = base + b
            titles = tuple(_fold(w).rstrip(".") for w in texts[skip:k])
            name_text = " ".join(texts[k:])
            entity.forms.setdefault(name_text, None)
            entity.last_seen = start
            tokens.append(
                _Token(
                    start, end, self.article[start:end], name_key(name_text), poss, entity, titles
                )
            )
            taken.append((words[skip][0], b))
            self._learn_titles(entity, titles)
            after = narration[b : b + 12].split()
            if after and after[0] in _PLACE_NOUNS and entity.kind in ("unknown", "thing"):
                entity.kind = "place"
            if entity.kind == "organization" and not (entity.heads & _NON_BUSINESS):
                self.last_business = entity
        spans = iter(sorted(taken))
        current = next(spans, None)
        for match in re.finditer(
            rf"{_FILLER}+|\d+(?:[.,]\d+)+|(?:[A-Z]\.){{2,}}|[\w’'-]+|[^\w\s]", narration
        ):
            while current is not None and current[1] <= match.start():
                current = next(spans, None)
            if current is not None and current[0] <= match.start() < current[1]:
                continue
            text = match.group()
            poss = bool(_POSSESSIVE_END.search(text)) and len(text) > 2 and text[0].isalpha()
            low = _fold(text) if poss else text.casefold()
            tokens.append(_Token(base + match.start(), base + match.end(), text, low, poss))
        tokens.sort(key=lambda t: t.start)
        return tokens

    def _learn_titles(self, entity: _Entity, titles: Iterable[str]) -> None:
        titles = [t for t in titles if t]
        if not titles:
            return
        heads = [t for t in titles if t in _PERSON_ROLES or t in _GENDER or t in _HONORIFICS]
        if heads:
            self._add_heads(entity, heads)
            if entity.kind in ("unknown", "thing"):
                entity.kind = "person"
        entity.mods.update(t for t in titles if t not in heads)

    # --- noun phrases ---------------------------------------------------------------------------

    def _core(self, tokens: list[_Token], a: int, b: int) -> _Phrase | None:
        """The noun phrase that ends at token ``b`` (exclusive), no further left than ``a``."""
        if b <= a:
            return None
        head = tokens[b - 1]
        if head.poss or not head.word:
            return None
        if head.entity is None:
            if head.low in _PRONOUNS:
                return _Phrase(b - 1, b, head)
            if head.low not in _NOUNS:
                return None
        phrase = _Phrase(b - 1, b, head)
        unknown = 0
        k = b - 1
        while k > a:
            token = tokens[k - 1]
            if not token.word:
                break
            low = token.low
            if token.entity is not None:
                if phrase.possessor is None and (token.poss or not phrase.is_name):
                    phrase.possessor = token
                elif not phrase.is_name:
                    break
            elif low in _DETERMINERS or low in _POSSESSIVE_PRONOUNS:
                if low in _POSSESSIVE_PRONOUNS and phrase.possessor is None:
                    phrase.possessor = token
                phrase.det = low
                k -= 1
                break
            elif (
                low in _NP_STOPS
                or low in _PREPOSITIONS
                or low in _AUXILIARIES
                or low in _PRONOUNS
                or low in _RELATIVES
                or (low in _VERBS and low not in _NOUNS)
            ):
                break
            elif token.poss and phrase.possessor is None:
                phrase.possessor = token
            elif low in _NOUNS or token.text[:1].isupper():
                phrase.mods.append(low)
            else:
                unknown += 1
                if unknown > 2 or low.isdigit():
                    break
                phrase.mods.append(low)
            k -= 1
        phrase.start = k
        return phrase

    def _phrase_at_end(self, tokens: list[_Token], a: int, b: int) -> _Phrase | None:
        """The noun phrase ending at ``b``, its "of/from/at" phrases and "X and Y" included."""
        phrase = self._core(tokens, a, b)
        if phrase is None:
            return self._before_object(tokens, a, b)
        if phrase.is_pronoun:
            return phrase
        while (
            phrase.start - 1 > a
            and tokens[phrase.start - 1].low in _PREPOSITIONS
            and not (phrase.is_name and phrase.head.titles)  # "President of Ukraine Volodymyr Z."
        ):
            before = self._core(tokens, a, phrase.start - 1)
            if before is None or before.is_pronoun:
                break
            phrase.prep = tokens[phrase.start - 1].low
            before.pp = [phrase, *phrase.pp]
            before.end = phrase.end
            phrase = before
        if phrase.is_name and phrase.start - 1 > a and tokens[phrase.start - 1].low == "and":
            other = self._core(tokens, a, phrase.start - 1)
            if other is not None and other.is_name:
                phrase.also.append(other)
                phrase.start = other.start
        return phrase

    def _before_object(self, tokens: list[_Token], a: int, b: int) -> _Phrase | None:
        """ "Critics of the plan", "Researchers on both sides": a phrase whose last words are
        an object that names no actor."""
        for p in range(b - 1, max(a, b - 6), -1):
            if tokens[p].low not in _PREPOSITIONS:
                continue
            plain = all(
                t.word and t.entity is None and t.low not in _NP_STOPS | _FINITE | _RELATIVES
                for t in tokens[p + 1 : b]
            )
            if not plain or tokens[b - 1].low in _DETERMINERS:
                return None
            return self._core(tokens, a, p)  # its object is no actor: left out of it
        return None

    def _phrase_at_start(self, tokens: list[_Token], a: int, b: int) -> _Phrase | None:
        """The longest noun phrase that starts at ``a`` (after a verb: "said Martin Lindqvist")."""
        for end in range(min(b, a + 12), a, -1):
            phrase = self._phrase_at_end(tokens, a, end)
            if phrase is not None and phrase.start == a:
                return phrase
        return None

    # --- resolving a phrase to an actor ----------------------------------------------------------

    def _pronoun(self, word: str, at: int = -1) -> _Entity | None:
        """The last actor in focus that "he", "she", "it" or "they" can stand for: first the
        names earlier in the same sentence, then speakers and subjects of the sentences before."""
        if word not in ("he", "she", "it", "they"):
            return None
        # In its own sentence a pronoun most often takes up the subject: the first name.
        before = bisect.bisect_left(self.local, at, key=lambda pair: pair[0])
        local = ((self.sentence_index, e) for _, e in self.local[max(0, before - 30) : before])
        for sentence, entity in itertools.chain(local, reversed(self.focus)):
            if self.sentence_index - sentence > _PRONOUN_REACH:
                break
            if word in ("he", "she"):
                gender = "m" if word == "he" else "f"
                if entity.is_person() and entity.gender in ("", gender):
                    entity.gender = gender
                    entity.kind = "person"
                    return entity
            elif (word == "it" and entity.kind in ("organization", "thing", "place")) or (
                word == "they" and entity.kind in ("group", "organization")
            ):
                return entity
        return None

    def _role(self, head: str, mods: Iterable[str]) -> _Entity | None:
        """The last actor called by this role noun ("the union", "the electoral commission
        president"), the one whose descriptions share most of the modifiers first."""
        wanted = set(mods)
        # The most recently described few: an old namesake is rarely meant.
        candidates = [e for e in self.by_head.get(head, [])[-100:] if e.last_seen >= 0]
        if not candidates and head in _BUSINESS_ROLES:
            # "the company": the last business named, or the last body in focus
            if self.last_business is not None:
                return self.last_business
            for _, entity in reversed(self.focus[-20:]):
                if entity.kind in ("organization", "thing") and not entity.heads & _NON_BUSINESS:
                    return entity
        if not candidates and head in ("leader", "official", "politician") and wanted:
            candidates = [e for _, e in self.focus[-50:] if e.is_person() and wanted & e.mods]
        if not candidates:
            return None
        return max(candidates, key=lambda e: (len(wanted & (e.mods | e.heads)), e.last_seen))

    def _possessor(self, token: _Token) -> _Entity | None:
        if token.entity is not None:
            return token.entity
        if token.low in _POSSESSIVE_PRONOUNS:
            pronoun = {"its": "it", "his": "he", "her": "she", "their": "they"}.get(token.low, "")
            return self._pronoun(pronoun)
        return self._role(token.low, ())

    def _unnamed(self, tokens: list[_Token], phrase: _Phrase) -> _Entity:
        """An actor the article does not name: "a senior official", "critics"."""
        core_end = phrase.pp[0].start - 1 if phrase.pp else phrase.end
        words = [t.text for t in tokens[phrase.start : core_end] if t.low not in _DETERMINERS]
        name = " ".join(words)
        entity = self.entities.get(name_key(name))
        if entity is None:
            kind = "group" if phrase.head.low in _PLURALS else "person"
            if phrase.head.low in _ORG_ROLES:
                kind = "organization"
            entity = _Entity(name=name, kind=kind, forms={name: None})
            self.entities[name_key(name)] = entity
            self._add_heads(entity, [phrase.head.low])
        if phrase.pp:
            full = [t.text for t in tokens[phrase.start : phrase.end] if t.low not in _INDEFINITE]
            entity.forms.setdefault(" ".join(full), None)
        return entity

    def _resolve(self, tokens: list[_Token], phrase: _Phrase) -> tuple[list[_Entity], str]:
        """The actors a subject phrase stands for, and the rule that found them."""
        head = phrase.head
        if phrase.is_pronoun:
            entity = self._pronoun(head.low, head.start)
            return ([entity] if entity else []), "pronoun"
        principal = self._principal(phrase)
        if head.entity is not None:
            entity = head.entity
            self._learn_role(entity, phrase, principal)
            listed = [(p.head.start, p.head.entity) for p in phrase.also if p.head.entity]
            found = [e for _, e in sorted([(head.start, entity), *listed], key=lambda x: x[0])]
            return found, "name"
        possessor = phrase.possessor
        owner = self._possessor(possessor) if possessor is not None else None
        if possessor is not None and owner is not None:
            named_body = not possessor.poss and possessor.entity is not None
            if head.low in _REPRESENTATIVES or (
                named_body and head.low in _ORG_ROLES and not owner.is_person()
            ):
                # "a Norfield spokeswoman", "Midland's chief executive", "the Foo union"
                if head.low in _ORG_ROLES:
                    self._add_heads(owner, [head.low])
                return [owner], "spokesperson" if head.low in _REPRESENTATIVES else "name"
            name = " ".join(t.text for t in tokens[phrase.start : phrase.end] if t.low != "the")
            kind = "group" if head.low in _PLURALS else "organization"
            entity = self._register(name, kind, compound=True)
            if head.low in _ORG_ROLES and entity.principal is None:
                # "Tshisekedi's party" belongs to him; "Kyiv's allies" do not speak for Kyiv
                entity.principal = owner
            return [entity], "name"
        if head.low in _PLURALS and phrase.det == "the":
            # "the operators": the Calder Terminal Operators Association, when it was named
            named = [e for e in self.by_word.get(head.low, ()) if e.last_seen >= 0]
            if named:
                return [max(named, key=lambda e: e.last_seen)], "role"
        if head.low in _PLURALS or phrase.det in _INDEFINITE:
            return [self._unnamed(tokens, phrase)], "unnamed"
        if phrase.det in ("the", "this", "that", ""):
            if not phrase.det and not head.text[:1].isupper():
                return [], ""  # "union demands": a bare singular noun is no subject
            entity = self._role(head.low, phrase.mods)
            owned_by = phrase.possessor
            described = (
                phrase.det == "the"
                and head.low in _ORG_ROLES
                and owned_by is not None
                and owned_by.text[-1:] in "'’"
            )
            if entity is None and described:
                # "the nurses' union", "the farmers' cooperative": a description that names
                # the body as well as a name would
                return [self._unnamed(tokens, phrase)], "described"
            if entity is not None and principal is not None and entity.principal is None:
                entity.principal = principal
            return ([entity] if entity else []), "role"
        return [], ""

    def _principal(self, phrase: _Phrase) -> _Entity | None:
        """Whom a person speaks for: "of Westfield University", "union president X"."""
        for pp in phrase.pp:
            if pp.prep not in _AFFILIATIONS:
                continue
            entity = pp.head.entity
            if entity is not None and not entity.is_person():
                return entity
            if entity is None and pp.head.low in _ORG_ROLES | _PLURALS:
                found = self._role(pp.head.low, pp.mods)
                if found is not None:
                    return found
        if phrase.is_name:
            if phrase.possessor is not None and phrase.possessor.entity is not None:
                return phrase.possessor.entity
            for mod in phrase.mods + list(phrase.head.titles):
                if mod in _ORG_ROLES:
                    found = self._role(mod, ())
                    if found is not None and found is not phrase.head.entity:
                        return found
        return None

    def _learn_role(self, entity: _Entity, role: _Phrase, principal: _Entity | None) -> None:
        """What an apposition or title says about a named actor."""
        if role.head.entity is None:
            self._add_heads(entity, [role.head.low])
        self._add_heads(entity, [m for m in role.mods if m in _PERSON_ROLES])
        entity.mods.update(role.mods)
        if principal is not None and principal is not entity and entity.principal is None:
            entity.principal = principal

    # --- subjects of cue words -------------------------------------------------------------------

    def _subject(self, tokens: list[_Token], lo: int, hi: int) -> _Subject | None:
        """The subject of a verb whose clause runs from token ``lo`` to ``hi``."""
        # Commas and brackets cut the clause: "Smith (the finance minister) urged".
        segments: list[tuple[int, int]] = []
        start = lo
        for k in range(lo, hi):
            if tokens[k].text in (",", "(", ")"):
                segments.append((start, k))
                start = k + 1
        segments.append((start, hi))
        a, b = segments[-1]
        if b > a:
            # "Four parties who won seats in the National Assembly have protested": the subject
            # is what the relative clause describes, not the last name inside it.
            rel = next((r for r in range(a + 1, b) if tokens[r].low in ("who", "which")), None)
            if rel is not None:
                described = self._phrase_at_end(tokens, a, rel)
                if described is not None and described.end == rel:
                    b = rel
            if [t.low for t in tokens[a:b]] in (["and"], ["but"], ["or"]):
                return _Subject(None, coordinated=True)
            phrase = self._phrase_at_end(tokens, a, b)
            if phrase is None:
                return None
            if phrase.start > a and tokens[phrase.start - 1].low in _SUBORDINATORS:
                return None  # "whether it will challenge", "before it approved": no view
            lead = [t.low for t in tokens[a : phrase.start]]
            if lead in ([], ["and"], ["or"]):
                if (lead or phrase.also) and phrase.is_name:  # "Italy, Latvia and Germany"
                    for sa, sb in reversed(segments[:-1]):
                        other = self._phrase_at_end(tokens, sa, sb)
                        if other is None or other.start != sa or not other.is_name:
                            break
                        phrase.also.append(other)
                    return _Subject(phrase)
                return self._apposition(self._whole(tokens, segments[:-1]), phrase)
            return _Subject(phrase, nested_from=a)
        for index in range(len(segments) - 2, -1, -1):
            a, b = segments[index]
            if b <= a or self._aside(tokens, a, b):
                continue
            phrase = self._phrase_at_end(tokens, a, b)
            if phrase is None or phrase.start != a:
                if tokens[a].low in _DETERMINERS or tokens[a].low in _POSSESSIVE_PRONOUNS:
                    continue  # an apposition it cannot read: "the largest carrier using the port"
                return None
            return self._apposition(self._whole(tokens, segments[:index]), phrase)
        return None

    def _aside(self, tokens: list[_Token], a: int, b: int) -> bool:
        """A comma segment that cannot be a subject: "who ...", "In a statement", "last month"."""
        first = tokens[a]
        if first.entity is not None:
            return False
        if first.low in _RELATIVES or first.low in _ADVERBIAL_STARTS:
            return True
        if first.text[:1].islower() and (first.low.endswith("ing") or first.low in _VERBS):
            return True  # "X, speaking in Madrid, insisted"
        return _is_age(tokens, a, b) or (b - a <= 3 and tokens[b - 1].low in _TIME_WORDS)

    def _whole(self, tokens: list[_Token], segments: list[tuple[int, int]]) -> _Phrase | None:
        """The last segment as one noun phrase, if it is one (an age between is skipped, and
        so is a conjunction before it: "though Sen. Tom Ray, R-Texas, told")."""
        while segments and _is_age(tokens, *segments[-1]):
            segments = segments[:-1]
        if not segments:
            return None
        a, b = segments[-1]
        while a < b and tokens[a].low in _CONJUNCTIONS:
            a += 1
        if b <= a or self._aside(tokens, a, b):
            return None
        phrase = self._phrase_at_end(tokens, a, b)
        return phrase if phrase is not None and phrase.start == a else None

    def _apposition(self, before: _Phrase | None, phrase: _Phrase) -> _Subject:
        """ "Freshway's chief executive, Laura Benton," or "Martin Lindqvist, the association's
        chief executive,": the named person holds the view, the role says whom they speak for.
        Of two names the first is the holder and the second describes it: "Tom Ray, R-Texas,",
        "Smith (Labour)"; so does a name after "a": "Jane Doe, a Democrat from Ohio,"."""
        if before is not None and not before.is_pronoun and not phrase.is_pronoun:
            named_before = before.is_name and before.det not in _INDEFINITE
            named = phrase.is_name and phrase.det not in _INDEFINITE
            if named_before:
                return _Subject(before, role=None if named else phrase)
            if named:
                return _Subject(phrase, role=before)
        return _Subject(phrase)

    def _role_principal(self, role: _Phrase) -> _Entity | None:
        """Whom a role speaks for: "president of the Growers Federation", "the association's
        chief executive", "union president"."""
        for pp in role.pp:
            if pp.prep not in _AFFILIATIONS:
                continue  # "a Democrat from Ohio": where from, not whom for
            if pp.head.entity is not None and not pp.head.entity.is_person():
                return pp.head.entity
            if pp.head.entity is None and pp.head.low in _ORG_ROLES | _PLURALS:
                found = self._role(pp.head.low, pp.mods)
                if found is not None:
                    return found
        if role.possessor is not None:
            return self._possessor(role.possessor)
        for mod in role.mods:
            if mod in _ORG_ROLES:
                return self._role(mod, ())
        return None

    def _holders(
        self, tokens: list[_Token], subject: _Subject, cue: str, *, names_only: bool
    ) -> list[_Found]:
        assert subject.phrase is not None
        entities, rule = self._resolve(tokens, subject.phrase)
        if names_only and rule != "name":
            return []
        principal = None
        if subject.role is not None:
            principal = self._role_principal(subject.role)
            for entity in entities:
                self._learn_role(entity, subject.role, principal)
        if rule == "spokesperson":
            cue = f"{cue} (spokesperson)"
        return [_Found(e, cue, rule=rule) for e in entities]

    def _cue(
        self, tokens: list[_Token], i: int, earlier: dict[int, list[_Found]], *, inside: bool
    ) -> list[_Found]:
        """The holders of the view a cue word at ``tokens[i]`` reports."""
        token = tokens[i]
        lo = i
        while lo > 0 and i - lo < _CLAUSE_REACH and tokens[lo - 1].text[0] not in _HARD_BOUNDARIES:
            lo -= 1
        if token.low == "according":
            end = i + 2
            while (
                end < len(tokens)
                and tokens[end].text not in (",", ".")
                and tokens[end].text[0] not in _HARD_BOUNDARIES
            ):
                end += 1
            phrase = self._phrase_at_start(tokens, i + 2, end)
            if phrase is None:
                return []
            return self._holders(tokens, _Subject(phrase), "according to", names_only=inside)
        base, form = _VERBS.get(token.low, (token.low, "adjective"))
        j = i
        copula = modal = negated = False
        while j > lo:
            word = tokens[j - 1]
            low = word.low
            adverb = low.endswith("ly") and low not in _LY_NOUNS and word.text[:1].islower()
            if word.entity is not None or not (low in _AUXILIARIES or "n't" in low or adverb):
                break
            copula = copula or low in _COPULAS
            modal = modal or low in _MODALS or low in _DO or "n't" in low
            negated = negated or low in ("not", "never") or "n't" in low
            j -= 1
        before = tokens[j - 1].low if j > lo else ""
        if i > 0 and tokens[i - 1].low in _ARTICLES | _POSSESSIVE_PRONOUNS:
            return []  # "the plan", "their call": a noun
        if form == "adjective" and not copula:
            return []
        if before == "to" or (negated and base in _SAY_LIKE):
            return []  # "declined to say", "would not say": nothing was said
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if form == "past" and following is not None and following.low == "by":
            return []  # passive: "backed by the unions"
        if form == "past" and copula and base in _SPEECH and base != "say":
            # "Reparations will be announced", "the men were told": what is said, or who
            # hears it, not who speaks ("is said to favour" still reports the subject's view)
            return []
        if (
            form in ("base", "third")
            and token.low not in _NEVER_NOUNS
            and following is not None
            and following.entity is None
            and (following.low in _PERSON_ROLES | _ORG_ROLES or following.low in _FINITE)
        ):
            # "a state appeals court", "press secretary", "challenges have given": nouns
            return []
        if before in ("who", "which"):
            k = j - 1
            if k > lo and tokens[k - 1].text == ",":
                k -= 1
            subject = self._subject(tokens, lo, k)
            if subject is None or subject.phrase is None or not subject.phrase.is_name:
                return []
            return self._holders(tokens, subject, token.low, names_only=True)
        if form == "gerund" and not copula:
            if before == "," and not inside:  # "..., saying that": the main clause's subject
                last = next(reversed(earlier), None)
                return (
                    [_Found(f.entity, token.low) for f in earlier[last]] if last is not None else []
                )
            return []
        subject = self._subject(tokens, lo, j)
        if subject is None:
            # '"...," said X' and 'The plan will fail, said X': the subject follows the verb.
            after_break = i == lo or tokens[i - 1].text == ","
            if after_break and not inside and base in _SPEECH and form in ("past", "third"):
                return self._inverted(tokens, i)
            return []
        if subject.coordinated:
            last = next(reversed(earlier), None)
            return [_Found(f.entity, token.low) for f in earlier[last]] if last is not None else []
        assert subject.phrase is not None
        head = subject.phrase.head
        if (
            form == "base"
            and not modal
            and not (
                head.low in _PLURALS
                or head.low in ("they", "we", "i", "you")
                or subject.phrase.also
            )
        ):
            return []  # "White House press secretary": a noun, not a verb
        if inside and subject.phrase.is_pronoun:
            return []
        found = self._holders(tokens, subject, token.low, names_only=inside)
        if subject.nested_from is not None:
            # A pronoun inside a statement stands for the speaker, or for what they speak
            # about ("critics say it favours developers": the plan), not for a new holder.
            found = [f for f in found if f.rule != "pronoun"]
        if subject.nested_from is not None and found:
            # "Ngoy-Mulunda says the electoral commission deplores...": reported by the speaker
            reporters = []
            for k in reversed(earlier):  # cues in this sentence so far, the last first
                if k < subject.nested_from:
                    break
                if k < subject.phrase.start:
                    reporters += [f.entity for f in earlier[k] if f.reporter is None]
            reporters.reverse()
            if reporters:
                # An unnamed group inside someone's statement ("he said the operators had
                # offered") is that speaker's claim, not a holder of its own; the body a
                # speaker speaks for ("Okafor said the union would") gets the sentence through
                # its spokesperson already.
                reporter = reporters[-1]
                found = [
                    f
                    for f in found
                    if f.entity is not reporter
                    and f.entity is not reporter.principal
                    and f.rule != "unnamed"
                ]
                for f in found:
                    f.reporter = reporters[-1]
        return found

    def _inverted(self, tokens: list[_Token], i: int) -> list[_Found]:
        """'"...," said Martin Lindqvist, the association's chief executive.'"""
        ends = [
            k
            for k in range(i + 1, min(len(tokens), i + 40))
            if tokens[k].text in (",", ".") or tokens[k].text[0] in _HARD_BOUNDARIES
        ] + [min(len(tokens), i + 40)]
        phrase = self._phrase_at_start(tokens, i + 1, ends[0])
        if phrase is None or (phrase.is_pronoun and phrase.head.low not in ("he", "she")):
            return []
        role = None
        if len(ends) > 2 and _is_age(tokens, ends[0] + 1, ends[1]):
            ends = ends[1:]  # "said Daniel Ortiz, 54, a spokesman for..."
        if len(ends) > 1 and tokens[ends[0]].text == ",":
            after = self._phrase_at_start(tokens, ends[0] + 1, ends[1])
            if after is not None and not after.is_pronoun:
                if phrase.is_name and not after.is_name:
                    role = after
                elif after.is_name and not phrase.is_name and after.end == ends[1]:
                    phrase, role = after, phrase
        return self._holders(tokens, _Subject(phrase, role=role), tokens[i].low, names_only=False)

    # --- sentences, quotations and paragraphs ----------------------------------------------------

    def _find(self, work: _SentenceWork, narration: str, *, inside: bool) -> list[_Found]:
        tokens = self._tokens(narration, work.sentence.start)
        self.local = [
            (t.start, t.entity)
            for i, t in enumerate(tokens)
            if t.entity is not None and not t.poss and not _modifies(tokens, i)
        ]
        earlier: dict[int, list[_Found]] = {}
        for i, token in enumerate(tokens):
            if token.entity is not None or not token.word:
                continue
            low = token.low
            according = low == "according" and i + 1 < len(tokens) and tokens[i + 1].low == "to"
            if not (according or low in _VERBS or low in _STANCE_ADJECTIVES):
                continue
            if not inside:
                work.cues += 1
            found = self._cue(tokens, i, earlier, inside=inside)
            if found:
                earlier[i] = found
                for f in found:
                    if f.reporter is None and not inside:
                        self._attend(f.entity)
        out = [f for found in earlier.values() for f in found]
        if not inside and not out:
            for token in tokens:
                if token.entity is not None and token.entity.kind != "place":
                    self._attend(token.entity)
                    break
        return out

    def _attend(self, entity: _Entity) -> None:
        """Put a holder in focus for the pronouns that follow, with whom it speaks for: after
        "Its chair, Linda Park, said", "she" is Park and "it" is the commission."""
        if entity.principal is not None and entity.principal is not entity:
            self.focus.append((self.sentence_index, entity.principal))
        self.focus.append((self.sentence_index, entity))
        entity.last_seen = max(entity.last_seen, 0)

    def run(self) -> Analysis:
        article = self.article
        sentences = [
            Sentence(index=i, start=a, end=b, text=article[a:b])
            for i, (a, b) in enumerate(split_sentences(article))
        ]
        by_line: dict[int, list[Sentence]] = {}
        lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", article)]
        line = 0
        for sentence in sentences:
            while line < len(lines) - 1 and lines[line][1] <= sentence.start:
                line += 1
            by_line.setdefault(line, []).append(sentence)
        works: list[_SentenceWork] = []
        last_holder: _Entity | None = None  # of the previous paragraph
        colon_holder: _Entity | None = None  # of a previous paragraph that ends with a colon
        labels = {n: m for n, (a, b) in enumerate(lines) if (m := _TURN.match(article, a, b))}
        transcript = len(labels) > 1  # "SECRETARY POWELL: ..." paragraphs: speaker turns
        turn: _Entity | None = None  # who speaks the current turn of a transcript
        for number, (a, b) in enumerate(lines):
            members = by_line.get(number, [])
            if not members:
                continue
            if _is_heading(article[a:b]):
                last_holder = colon_holder = turn = None
                continue
            if transcript and number in labels:
                turn = self._turn_speaker(labels[number].group(1))
            quotes, _ = _quote_spans(article, a, b)
            ends = [qb for _, qb in quotes]
            paragraph = []
            for sentence in members:
                first = bisect.bisect_right(ends, sentence.start)
                overlapping = []
                for qa, qb in quotes[first:]:
                    if qa >= sentence.end:
                        break
                    overlapping.append((qa, qb))
                paragraph.append(self._prepare(sentence, overlapping))
            works += paragraph
            last_holder, colon_holder = self._paragraph(paragraph, last_holder, colon_holder)
            if turn is not None:
                self._speaks(turn, paragraph)
                last_holder = turn
        return self._result(sentences, works)

    def _turn_speaker(self, label: str) -> _Entity | None:
        """The speaker a transcript's label names ("SECRETARY POWELL", "MR. BOUCHER"); None for
        a questioner ("QUESTION", "Q") or a label that names no one."""
        if _fold(label).rstrip(".") in _QUESTIONERS:
            return None
        words = [w.capitalize() for w in label.split()]
        # The label gives a title and a surname: the person the article names in full first.
        entity = self.by_surname.get(name_key(words[-1]))
        if entity is None:
            _, entity = self._lookup(words, initial=False, after="said")
        if entity is None:
            return None
        if entity.kind in ("unknown", "thing"):
            entity.kind = "person"
        self._attend(entity)
        return entity

    def _speaks(self, speaker: _Entity, paragraph: list[_SentenceWork]) -> None:
        """A transcript's turn: the speaker holds every sentence of it; a view of someone else
        found inside it is reported by the speaker (as inside a quotation)."""
        for work in paragraph:
            for found in work.found:
                if found.reporter is None and found.entity is not speaker:
                    found.reporter = speaker
            if not any(f.entity is speaker and f.reporter is None for f in work.found):
                work.found.insert(0, _Found(speaker, "speaker turn"))

    def _prepare(self, sentence: Sentence, quotes: list[tuple[int, int]]) -> _SentenceWork:
        """The sentence's narration: its quoted words blanked out, "Dr." without its dot."""
        chars = list(sentence.text)
        quoted = False
        for qa, qb in quotes:
            a, b = max(qa, sentence.start), min(qb, sentence.end)
            if a < b:
                quoted = quoted or any(c.isalnum() for c in self.article[a:b])
                chars[a - sentence.start : b - sentence.start] = _FILLER * (b - a)
        narration = _ABBREVIATIONS.sub(lambda m: m.group()[:-1] + " ", "".join(chars))
        work = _SentenceWork(sentence, narration, quotes=quotes, quoted=quoted)
        work.colon = narration.rstrip(f"{_FILLER} ").endswith(":")
        return work

    def _paragraph(
        self,
        works: list[_SentenceWork],
        last_holder: _Entity | None,
        colon_holder: _Entity | None,
    ) -> tuple[_Entity | None, _Entity | None]:
        """Attribute one paragraph; returns its last holder and, if it ends "X said:", X."""
        units: list[list[_SentenceWork]] = []
        for work in works:
            # A quotation that runs on from the previous sentence joins it to this one.
            joined = units and any(qb > work.sentence.start for _, qb in units[-1][-1].quotes)
            if joined:
                units[-1].append(work)
            else:
                units.append([work])
        holder: _Entity | None = None
        for number, unit in enumerate(units):
            for work in unit:
                self.sentence_index = work.sentence.index
                work.found = self._find(work, work.narration, inside=False)
            speaker: _Entity | None = None
            if any(w.quoted for w in unit):
                speaker, how = self._speaker(unit)
                opens = self.article[unit[0].sentence.start] in _OPENING
                cues = sum(w.cues for w in unit)
                if speaker is None and opens and number == 0 and colon_holder is not None:
                    speaker, how = colon_holder, "quote after colon"
                elif speaker is None and opens and not cues:
                    previous = holder if number else last_holder
                    if previous is not None:
                        speaker, how = previous, "quote continuation"
                if speaker is not None:
                    for work in unit:
                        if not any(f.reporter is None for f in work.found):
                            work.found.insert(0, _Found(speaker, how))
                    self._attend(speaker)
                for work in unit:
                    if work.quoted:
                        self.sentence_index = work.sentence.index
                        inside = _inside(self.article, work.sentence, work.quotes)
                        for f in self._find(work, inside, inside=True):
                            if f.entity is not speaker:
                                f.reporter = speaker
                                work.found.append(f)
            for work in unit:
                primary = [f.entity for f in work.found if f.reporter is None]
                if primary:
                    holder = primary[0]
        last = works[-1]
        colon = next((f.entity for f in last.found if f.reporter is None), None)
        return holder, colon if last.colon else None

    def _speaker(self, unit: list[_SentenceWork]) -> tuple[_Entity | None, str]:
        """Who speaks a quotation: the holder named in a sentence the quotation spans."""
        for quoted_only in (True, False):
            for work in unit:
                if quoted_only and not work.quoted:
                    continue
                for found in work.found:
                    if found.reporter is None:
                        return found.entity, "quote"
        return None, ""

    def _result(self, sentences: list[Sentence], works: list[_SentenceWork]) -> Analysis:
        attributions: list[Attribution] = []
        used: dict[int, _Entity] = {}
        for work in works:
            seen: set[int] = set()
            ordered = [f for f in work.found if f.reporter is None] + [
                f for f in work.found if f.reporter is not None
            ]
            for found in ordered:
                entity = found.entity
                if id(entity) in seen:
                    continue
                seen.add(id(entity))
                principal = entity.principal if entity.principal is not entity else None
                used[id(entity)] = entity
                if principal is not None:
                    used[id(principal)] = principal
                attributions.append(
                    Attribution(
                        sentence=work.sentence,
                        holder=entity.name,
                        cue=found.cue,
                        principal=principal.name if principal else "",
                        reported_by=found.reporter.name if found.reporter else "",
                    )
                )
        actors = [
            Actor(
                name=e.name,
                kind=_KINDS.get(e.kind, "other"),
                aliases=tuple(f for f in e.forms if f != e.name),
            )
            for e in used.values()
        ]
        return Analysis(
            article=self.article,
            sentences=sentences,
            names=self.names,
            attributions=attributions,
            actors=actors,
        )


# A transcript's speaker label opening a paragraph: "SECRETARY POWELL: ", "MR. BOUCHER: ".
_TURN = re.compile(r"[ \t]*([A-Z][A-Z.'’-]*(?: [A-Z][A-Z.'’-]*){0,3}):[ \t]")
_QUESTIONERS = frozenset({"question", "q", "reporter", "audience", "moderator", "participant"})

_KINDS: dict[str, ActorKind] = {
    "person": "person",
    "organization": "organization",
    "group": "group",
}
_QUOTE_MARKS = re.compile("[\"“”«»‘’']")


def _all_names(article: str) -> list[str]:
    """``mentioned_names(article)`` without its limit, a line at a time: it reads each line
    from its start for every name, so a line of megabytes is read in sentences instead."""
    found: dict[str, str] = {}
    for line in re.finditer(r"[^\n]+", article):
        text = line.group()
        pieces = [text] if len(text) < 20_000 else _pieces(text)
        for piece in pieces:
            for name in mentioned_names(piece, limit=len(piece)):
                found.setdefault(name_key(name), name)
    return list(found.values())


def _pieces(text: str, size: int = 5_000) -> list[str]:
    """A long line cut at sentence ends, or at spaces when a sentence is itself too long."""
    pieces = []
    for a, b in split_sentences(text):
        while b - a > size:
            cut = text.rfind(" ", a, a + size)
            cut = cut if cut > a else a + size
            pieces.append(text[a:cut])
            a = cut
        pieces.append(text[a:b])
    return pieces


def _is_age(tokens: list[_Token], a: int, b: int) -> bool:
    """A comma segment that is just a number: an age ("Daniel Ortiz, 54, said")."""
    return b - a == 1 and tokens[a].text.isdigit()


def _modifies(tokens: list[_Token], i: int) -> bool:
    """A name used as a modifier ("its Harlow coal-fired plant", "Valley Markets stores")."""
    following = tokens[i + 1] if i + 1 < len(tokens) else None
    return (
        following is not None
        and following.entity is None
        and following.text[:1].islower()
        and following.low not in _VERBS
        and following.low not in _AUXILIARIES
        and following.low not in _NP_STOPS
        and following.low not in _PREPOSITIONS
        and following.low not in _RELATIVES
    )


def _quote_spans(text: str, a: int, b: int) -> tuple[list[tuple[int, int]], bool]:
    """Quoted stretches of one paragraph ``text[a:b]``, marks included, and whether the last
    one is still open at its end (a quotation that goes on in the next paragraph)."""
    spans: list[tuple[int, int]] = []
    opened, opener = -1, ""
    for match in _QUOTE_MARKS.finditer(text, a, b):
        i, mark = match.start(), match.group()
        before = text[i - 1] if i > a else " "
        after = text[i + 1] if i + 1 < b else " "
        if opened < 0:
            if mark in '"“«' or (mark in "‘'" and not before.isalnum() and after.isalnum()):
                opened, opener = i, mark
            continue
        if opener in '"“':
            closes = mark in '"”'
        elif opener == "«":
            closes = mark == "»"
        else:  # a single mark closes when no letter follows it ("won’t" is no close)
            closes = mark in "’'" and not after.isalnum()
        if closes:
            spans.append((opened, i + 1))
            opened = -1
    if opened >= 0 and opener in '"“«':
        spans.append((opened, b))
        return spans, True
    return spans, False


def _inside(article: str, sentence: Sentence, quotes: list[tuple[int, int]]) -> str:
    """The sentence with everything but the quoted words blanked out."""
    chars = [_FILLER] * (sentence.end - sentence.start)
    for qa, qb in quotes:
        a, b = max(qa + 1, sentence.start), min(qb - 1, sentence.end)
        if a < b:
            chars[a - sentence.start : b - sentence.start] = article[a:b]
    return "".join(chars)


def _is_heading(line: str) -> bool:
    """A short line that does not end like a sentence: a headline, a subheading, a dateline.
    Their capitals say nothing about names ("Financial Challenges", "Macron Says Europe...")."""
    stripped = line.rstrip()
    return bool(stripped) and stripped[-1] not in '.:;!?"”’»)' and len(stripped.split()) <= 20
