"""The passes of a briefing: small structured calls, each asking the model for one thing.

One module per pass, each with its task template, the model of its answer and how it runs:

* ``actors``: the names checklist and the quoted holders cleaned into actors;
* ``positions``: per actor, its candidate sentences (found by ``summarize.attribution``) turned
  into stances that cite them by number, so evidence is verbatim and its holder's by
  construction;
* ``questions``: open questions specific to the story, generic ones dropped by rule;
* ``summary``: a few complete sentences;
* ``single``: the whole briefing in one call (the ``single`` strategy).

``base`` holds what they share: the context of one part of an article (its shared prefix) and
the ``Caller`` that makes a pass's call.
"""
