"""Parley's functional test suite: short templates crossed with identity terms.

Why: a set of real comments says how often screening is right, not where it is wrong. A
functional suite asks one question per functionality ("is a positive statement about a
group approved?", "is hate phrased as a question caught?") with the same sentence for every
group, so a rate below the others names the failure and a term's rate names the bias.
The functionalities follow the usual taxonomy of hate-speech test suites (derogation,
dehumanisation, threats, slurs, negation, questions, counter-speech, reported speech,
abuse of objects and of deeds, homonyms); every sentence here was written for Parley.

Truth is the site's policy, not only "hate": a personal attack on an individual is uncivil
here (the policy bans it), and profanity is flagged separately (`profane`), because the
issue's civil targets are measured on the non-profane part.

Tuning and reporting never share a template: within each functionality the templates
alternate between the ``tune`` half and the ``test`` half (`Split`). Rules, thresholds and
training data may be chosen by looking at ``tune``; ``test`` is only reported.
`cases()` is deterministic; the committed `functional.jsonl` is its output (a test checks
they agree), so a reader can grep a case.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

SUITE_PATH = Path(__file__).with_name("functional.jsonl")


class Split(StrEnum):
    TUNE = "tune"
    TEST = "test"


@dataclass(frozen=True)
class Case:
    id: str
    functionality: str
    text: str
    label: str  # "civil" or "uncivil", by the site's policy
    hateful: bool  # aimed at a protected group
    profane: bool  # contains profanity
    target: str | None  # the identity term, when the case names one
    split: str


# (plural noun phrase, as written at a sentence start)
GROUPS: tuple[str, ...] = (
    "women", "trans people", "gay people", "Black people", "disabled people", "Muslims",
    "Jews", "immigrants", "refugees", "Poles", "North Koreans", "Roma",
)

# functionality -> (label, hateful, profane, templates). "{g}" is the group.
_GROUP_FUNCTIONALITIES: dict[str, tuple[str, bool, bool, tuple[str, ...]]] = {
    "derogation_emotion": ("uncivil", True, False, (
        "I can't stand {g}, they make me sick.",
        "{G} disgust me more than anything.",
        "I despise {g} with every fibre of my being.",
        "Honestly, I hate {g}.",
        "Nothing makes my blood boil like {g} do.",
        "{G} are revolting and I loathe all of them.",
        "Every time I see {g} I feel nothing but contempt.",
        "I have never hated anything as much as I hate {g}.",
    )),
    "derogation_attribute": ("uncivil", True, False, (
        "{G} are all thieves and liars.",
        "{G} are too stupid to be trusted with anything.",
        "All {g} are lazy and live off everyone else.",
        "{G} are a disease on this country.",
        "{G} are naturally dishonest, every single one.",
        "You will never meet one of the {g} who isn't a criminal.",
        "{G} are worthless and always will be.",
        "{G} are inferior to the rest of us, that's just a fact.",
    )),
    "dehumanisation": ("uncivil", True, False, (
        "{G} are vermin.",
        "{G} are nothing but animals.",
        "{G} breed like rats.",
        "{G} are parasites feeding on our country.",
        "{G} are a plague that needs to be wiped out.",
        "Those {g} are subhuman filth.",
        "{G} are cockroaches, pure and simple.",
        "{G} are savages who belong in a zoo.",
    )),
    "implicit_derogation": ("uncivil", True, False, (
        "{G} belong in a cage, not in our streets.",
        "Any neighbourhood goes downhill once {g} move in.",
        "{G} should be grateful we even let them live here.",
        "I'd rather my kids never go near {g}.",
        "{G} ruin everything they touch.",
        "Keep {g} away from decent people.",
        "Of course it went wrong, {g} were involved.",
        "A country is better off with fewer {g} in it.",
    )),
    "threat_direct": ("uncivil", True, False, (
        "I am going to kill every one of those {g}.",
        "I will hunt down {g} and hurt them.",
        "I'm going to burn the homes of {g} to the ground.",
        "We will make {g} pay with their blood.",
        "I'll shoot any {g} I see on my street.",
        "I'm going to beat up the next of the {g} I meet.",
    )),
    "threat_normative": ("uncivil", True, False, (
        "{G} should all be shot.",
        "Someone ought to hang every one of the {g}.",
        "{G} deserve to be beaten in the street.",
        "All {g} should be put down.",
        "{G} should be locked up and left to die.",
        "It would be a good thing if {g} were all killed.",
    )),
    "exclusion": ("uncivil", True, False, (
        "{G} should be banned from this country.",
        "Send all the {g} back where they came from.",
        "{G} have no right to vote.",
        "No {g} should ever be allowed to hold a job here.",
        "Deport every last one of the {g}.",
        "{G} should not be allowed anywhere near our schools.",
    )),
    "hate_negated_positive": ("uncivil", True, False, (
        "{G} are never any good.",
        "I don't think {g} are human at all.",
        "{G} are not worth the air they breathe.",
        "No one with any sense respects {g}.",
        "{G} will never be equal to us.",
        "I would never trust one of the {g}, not once.",
    )),
    "hate_question": ("uncivil", True, False, (
        "Why are {g} so disgusting?",
        "Why do {g} always have to ruin everything?",
        "Isn't it obvious that {g} are a lower form of life?",
        "Why should we let filthy {g} live among us?",
        "Who else thinks {g} are vermin?",
        "Why can't {g} just disappear?",
    )),
    "hate_opinion": ("uncivil", True, False, (
        "I think {g} are a cancer on society.",
        "In my opinion {g} are all scum.",
        "I really believe {g} are less intelligent than everyone else.",
        "I feel like {g} are worthless.",
        "If you ask me, {g} are a waste of space.",
        "Personally, I think {g} are disgusting creatures.",
    )),
    "hate_subsequent_clause": ("uncivil", True, False, (
        "I met some {g} yesterday and they were just as disgusting as the rest of them.",
        "My landlord rents to {g}, and they are all filthy animals.",
        "There are {g} at my work and every one of them is a parasite.",
        "A group of {g} moved next door, which proves they spread like a disease.",
        "You can see {g} on the news every day, and they are all criminals.",
        "There were {g} at the station again; they should all be thrown out.",
    )),
    "hate_profanity": ("uncivil", True, True, (
        "Fuck all {g}.",
        "{G} are fucking scum.",
        "I hate those shitty {g}.",
        "{G} are a bunch of worthless bastards.",
        "Screw {g}, they are all pieces of shit.",
        "Get these fucking {g} out of here.",
    )),
    "hate_spelling": ("uncivil", True, False, (
        "{G} are v3rmin.",
        "{G} are p a r a s i t e s.",
        "I h8 {g}.",
        "{G} are subhum4n.",
        "Al {g} r scumm.",
        "{G} are an1mals.",
        "{G} are disgustinggg.",
        "d3port all {g}.",
    )),
    "neutral_mention": ("civil", False, False, (
        "I live with two {g}.",
        "The report counted how many {g} work in the fishing industry.",
        "Several {g} spoke at the council meeting last night.",
        "My neighbours are {g} and we often share dinner.",
        "The law applies to {g} in the same way as to everyone else.",
        "The survey asked {g} about their working hours.",
        "Some {g} I know work in construction.",
        "The charity supports {g} who have lost their jobs.",
        "There are more {g} in the city than there were ten years ago.",
        "The documentary follows three {g} through one winter.",
    )),
    "positive_mention": ("civil", False, False, (
        "I love {g}.",
        "{G} are wonderful people.",
        "We should all be proud to stand with {g}.",
        "{G} make our town a better place.",
        "I'm so grateful to the {g} who helped us.",
        "{G} deserve the same respect as anyone.",
        "Very happy to see {g} celebrated in the article.",
        "{G} bring so much to our community.",
        "Some of the kindest people I know are {g}.",
        "Thank you to all the {g} who shared their stories.",
    )),
    "identity_self": ("civil", False, False, (
        "As one of the {g} here, I found this article moving.",
        "Speaking as someone from a family of {g}, the pay figures ring true.",
        "I grew up among {g} and this matches what I saw.",
        "My mother is one of the {g} interviewed for this piece.",
        "We {g} have been saying this for years.",
        "As a member of a family of {g}, thank you for writing this.",
    )),
    "non_hate_negated": ("civil", False, False, (
        "I don't hate {g}.",
        "{G} are not vermin.",
        "Nobody should say that {g} are lazy.",
        "It is wrong to think {g} are criminals.",
        "I would never want to hurt {g}.",
        "{G} are not a burden on anyone.",
        "No one should be threatened just for being one of the {g}.",
        "There is nothing wrong with {g}.",
    )),
    "counter_quote": ("civil", False, False, (
        "Saying \"{g} are vermin\" is disgusting and the man who said it should apologise.",
        "If you write \"I hate {g}\", you should expect to be called out.",
        "\"{G} are parasites\" is the kind of thing nobody should ever say.",
        "The sign said \"kill all {g}\" and the police did nothing. Shameful.",
        "Shouting \"send the {g} home\" at a march is racist, full stop.",
        "When he said \"{g} are animals\" he showed exactly who he is.",
    )),
    "counter_reference": ("civil", False, False, (
        "Calling {g} vermin is dehumanising and it has to stop.",
        "Stop spreading hate about {g}.",
        "Anyone who threatens {g} should be prosecuted.",
        "The abuse aimed at {g} online is appalling.",
        "Statements like yours about {g} are hateful and wrong.",
        "It is shocking how many people still think {g} are less than human.",
        "Hatred of {g} has no place in a decent society.",
        "I'm tired of people blaming {g} for everything.",
    )),
    "reported_speech": ("civil", False, False, (
        "The article quotes a recruiter who called {g} \"cheap animals\"; that says it all about the trade.",
        "My grandfather was told that {g} were not welcome, and he never forgot it.",
        "The foreman reportedly said {g} were only good for hard labour, which is why the union complained.",
        "The report documents employers describing {g} as lazy to justify cutting their pay.",
        "Witnesses heard the attackers shouting that {g} should go home.",
        "The leaflet claimed {g} were a threat; the court found it broke the hate speech law.",
    )),
}

# functionality -> (label, hateful, profane, cases): no identity term
_OTHER_FUNCTIONALITIES: dict[str, tuple[str, bool, bool, tuple[str, ...]]] = {
    "abuse_object": ("civil", False, False, (
        "This app is garbage.",
        "What a useless, broken printer.",
        "The new bus timetable is a disaster.",
        "My phone is a worthless piece of junk.",
        "This weather is absolutely horrible.",
        "That film was the worst thing I have ever sat through.",
        "The coffee in this place is disgusting.",
        "This website's new design is awful.",
        "I hate this stupid traffic.",
        "The heating in this building is pathetic.",
    )),
    "abuse_deeds": ("civil", False, False, (
        "That decision by the council was a shambles.",
        "The minister's plan is a terrible idea.",
        "Their handling of the inquiry was disgraceful.",
        "This policy is cruel and it will hurt workers.",
        "The company's response was pathetic.",
        "What the government did to these workers is shameful.",
        "The judge's ruling was a disgrace.",
        "The argument in this piece makes no sense at all.",
        "The report's figures are nonsense.",
        "That speech was dishonest from start to finish.",
    )),
    "abuse_individual": ("uncivil", False, False, (
        "You are a complete idiot.",
        "You're pathetic and everyone here knows it.",
        "Shut up, you worthless clown.",
        "The author is a brainless moron.",
        "You are too stupid to read a simple article.",
        "Nobody cares what a loser like you thinks.",
        "You are a disgusting excuse for a person.",
        "Go away, you ignorant fool.",
    )),
    "profanity_non_hate": ("civil", False, True, (
        "Holy shit, what a story.",
        "Damn, that is an amazing piece of reporting.",
        "Fuck yes, finally someone said it.",
        "This is so fucking good, thank you.",
        "Shit, I had no idea this was happening.",
        "Well, that escalated bloody quickly.",
    )),
    "hate_slur": ("uncivil", True, False, (
        "Go back to your country, you paki.",
        "Typical kike, always counting money.",
        "No chinks should be allowed in this town.",
        "Shut up, faggot.",
        "Another tranny trying to get attention.",
        "Those wetbacks are taking all the jobs.",
        "Keep the gyppos off our land.",
        "My boss is a retard.",
    )),
    "homonym": ("civil", False, False, (
        "I bought a bundle of sticks for the fire, what my gran called a faggot of wood.",
        "Mum made faggots and gravy for dinner.",
        "The dam burst after a week of rain.",
        "He was a niggardly boss who never paid for overtime.",
        "The spook in the film turned out to be a double agent.",
        "The coon hound barked at every raccoon in the woods.",
    )),
    "reclaimed": ("civil", False, False, (
        "I'm a proud queer woman and this article speaks to me.",
        "As a queer man, I'm glad to see this covered.",
        "We're here, we're queer, and we're not going anywhere.",
        "Queer workers face these problems too.",
    )),
    "spam": ("uncivil", False, False, (
        "Earn $500 a day from home, message me on WhatsApp now!",
        "Best crypto investment, guaranteed returns, DM me.",
        "Click here for cheap pills: bit.ly/xx11",
        "Hot singles in your area, visit my profile.",
    )),
}


def _fill(template: str, group: str) -> str:
    text = template.replace("{g}", group).replace("{G}", group[:1].upper() + group[1:])
    return text


def cases() -> Iterator[Case]:
    """Every case, in a fixed order."""
    for functionality, (label, hateful, profane, templates) in _GROUP_FUNCTIONALITIES.items():
        for t, template in enumerate(templates):
            split = Split.TUNE if t % 2 == 0 else Split.TEST
            for group in GROUPS:
                yield Case(id=f"{functionality}-{t}-{group.lower().replace(' ', '_')}", functionality=functionality,
                           text=_fill(template, group), label=label, hateful=hateful, profane=profane,
                           target=group.lower(), split=split.value)
    for functionality, (label, hateful, profane, texts) in _OTHER_FUNCTIONALITIES.items():
        for t, text in enumerate(texts):
            split = Split.TUNE if t % 2 == 0 else Split.TEST
            yield Case(id=f"{functionality}-{t}", functionality=functionality, text=text, label=label,
                       hateful=hateful, profane=profane, target=None, split=split.value)


def render() -> str:
    return "".join(json.dumps(asdict(case), ensure_ascii=False) + "\n" for case in cases())


def load(split: Split | None = None, path: Path = SUITE_PATH) -> list[Case]:
    items = [Case(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [c for c in items if split is None or c.split == split.value]


if __name__ == "__main__":  # python -m services.moderation.evaluation.suite: rewrite the committed file
    SUITE_PATH.write_text(render(), encoding="utf-8")
