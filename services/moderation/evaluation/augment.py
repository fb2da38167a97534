"""Training sentences about groups, civil and uncivil: `training/groups.jsonl`.

Why: the real corpus is tweets collected with a hate lexicon; almost none of its civil
comments name a group, say something kind about one, deny a slur or denounce one. A model
trained on it alone learns that a group's name next to "hate" or "vermin" is uncivil
whatever surrounds it. These sentences give it the other side: neutral and positive
mentions, negated hate, counter-speech and reports of hate, with uncivil sentences of the
same shapes beside them, so that what decides is what is said about the group.

Written for training only, in wordings of their own: none is a template of the functional
suite (suite.py), whose ``test`` half is what the eval reports. Every sentence is crossed
with several groups; the learned model masks group names, so the groups only matter to the
rules, which do not learn.
"""

from __future__ import annotations

import json
from pathlib import Path

OUTPUT = Path(__file__).resolve().parents[1] / "training" / "groups.jsonl"
PER_TEMPLATE = 8  # groups per template: with names masked, this is the set's weight beside the corpus
GROUPS = ("Ukrainians", "Hindus", "Mexicans", "lesbians", "Somalis", "Sikhs", "Vietnamese people",
          "Catholics", "asylum seekers", "Filipinos", "Albanians", "deaf people")

CIVIL = (
    # neutral and positive mentions
    "My wife's colleagues are {g} and they invited us to a wedding.",
    "The census shows more {g} living in the north than before.",
    "Two {g} won medals at the regional games.",
    "Our street has a bakery run by {g}.",
    "The article interviews {g} who work night shifts.",
    "I'd like to hear more from {g} about this.",
    "{G} have lived in this valley for generations.",
    "{G} were among the first volunteers after the flood.",
    "Great to see {g} taking part in the festival.",
    "I admire the {g} who organised the strike.",
    "Proud that our school welcomes {g}.",
    "Lots of love to the {g} in my class.",
    "{G} are my neighbours and my friends.",
    "The best teacher I ever had was one of the {g} in our town.",
    "Support {g} who speak up about unpaid wages.",
    "We need more {g} in parliament.",
    # negated hate
    "{G} are not criminals, and the figures prove it.",
    "I've never had anything against {g}.",
    "Nobody here hates {g}.",
    "{G} are not lazy; they work longer hours than most.",
    "It is simply false that {g} are dangerous.",
    "I don't think {g} are a threat to anyone.",
    "{G} aren't vermin, they're people.",
    "There's no reason at all to fear {g}.",
    # counter-speech, quoting or referencing hate
    "Telling {g} to go home is bigotry, plain and simple.",
    "Whoever wrote \"{g} are rats\" on that wall should be ashamed.",
    "Comparing {g} to animals is exactly how persecution starts.",
    "The chant about killing {g} was vile and the club must act.",
    "People who abuse {g} online should face the law.",
    "Enough with the lies about {g}.",
    "Blaming {g} for the housing crisis is lazy scapegoating.",
    "It's racist to say {g} are thieves.",
    "I'm sick of hearing people call {g} parasites.",
    "Threatening {g} is a crime and it should be treated as one.",
    # reported speech
    "The recruiter told the {g} they were only worth half the wage.",
    "According to the report, guards called the {g} dogs.",
    "The survey found that many employers still assume {g} are unreliable.",
    "My father heard people say {g} should leave, and it hurt him.",
)

UNCIVIL = (
    "{G} are filthy and should be kept out.",
    "I hate {g} so much it hurts.",
    "{G} are a pest we need to get rid of.",
    "{G} are leeches, every last one.",
    "{G} are thick as bricks.",
    "Every one of the {g} is a liar.",
    "{G} spread disease wherever they go.",
    "Wipe the {g} off the map.",
    "The {g} should be rounded up.",
    "I'd happily see every one of the {g} dead.",
    "Somebody should set fire to the {g}' homes.",
    "{G} have no place among decent people.",
    "Why do we even let {g} breathe our air?",
    "Aren't {g} just animals in clothes?",
    "What's the point of {g} anyway?",
    "{G} will never be real citizens.",
    "I'd never let my daughter marry one of the {g}, they're savages.",
    "Honestly {g} are the worst thing to happen to this country.",
    "{G} are too primitive to understand democracy.",
    "Keep the {g} in their ghettos where they belong.",
    "{G} should not be allowed to have children.",
    "{G} deserve every beating they get.",
    "{G} are scum and always will be.",
    "Gross, more {g} moving in next door.",
)


def rows() -> list[dict]:
    out = []
    for label, templates in (("civil", CIVIL), ("uncivil", UNCIVIL)):
        for t, template in enumerate(templates):
            for k in range(PER_TEMPLATE):
                group = GROUPS[(t * PER_TEMPLATE + k) % len(GROUPS)]
                text = template.replace("{g}", group).replace("{G}", group[:1].upper() + group[1:])
                out.append({"id": f"groups-{label}-{t}-{k}", "text": text, "label": label,
                            "category": "groups"})
    return out


def render() -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows())


if __name__ == "__main__":  # python -m services.moderation.evaluation.augment: rewrite the training file
    OUTPUT.write_text(render(), encoding="utf-8")
