"""Policy 2024.06-4: the "target + negative evaluation" doubt layer and its neighbours.

Each rule gets one comment it must catch and one civil near-miss it must leave
alone. The rules score between `doubt` and `hold` (except where noted), so they
hold a comment in pre-moderation and never reject it.

The near-misses are judged by the rule checks alone (`rules_screener`): since
2024.06-5 the learned check may hold a civil comment in pre-moderation on its own,
which `test_the_learned_check_holds_few_near_misses_and_rejects_none` bounds.
"""

import pytest

from services.moderation.screening import Decision, ModerationMode, Submission

ATTACK_RULES = {
    # rule name: (fires on, civil near-miss that it must not fire on)
    "they-with-pest-words": (
        "Half of them are feral and the rest are no better.",
        "Migrant workers are not parasites; they pay taxes and get nothing back."),
    "pest-control-talk": (
        "Fumigate the whole estate and start again.",
        "The recruiters treat the workers as if they were livestock; that's the scandal."),
    "contempt-nouns": (
        "Yet another busload of scroungers on the evening news.",
        "Stop calling them scroungers; they work twelve-hour shifts."),
    "they-are-all": (
        "Don't bother with the details, they're all crooks.",
        "They are all owed back pay, according to the labour court."),
    "group-essentialised": (
        "Never once met an honest Moldovan in my life.",
        "Moldovan workers told the reporter they had not been paid since May."),
    "grateful-guest": (
        "Refugees ought to be more grateful for what they get here.",
        "The foreman said the men should be grateful for the work. That says everything about him."),
    "send-them-off": (
        "Just pack every last one of them onto a ferry.",
        "Whole families were packed onto boats by the smugglers, the coastguard said."),
    "us-and-them": (
        "Migrants get housing while our own pensioners freeze.",
        "Our country signed the ILO convention, so these protections apply to everyone."),
    "menace-phrases": (
        "That foreman had better pray we never cross paths.",
        "You should be careful with those statistics; the sample was tiny."),
    "if-i-find-you": (
        "If I ever get my hands on that captain, that's it.",
        "If I ever meet the reporter I'll thank her for this."),
    "someone-should-see-to": (
        "That recruiter deserves a good hiding.",
        "Someone should investigate the recruitment agency properly."),
    "doxxing-details": (
        "Your son walks home past the park at four, doesn't he.",
        "Write to your MP; the address is on parliament's website."),
    "persistent-contact": (
        "I'll email you every single morning until you apologise.",
        "The families get a call every month telling them their sons are fine."),
    "sexual-remark": (
        "Bet the reporter would look great in a bikini.",
        "She is a brave journalist and deserves protection."),
    "intelligence-jibe": (
        "The writer has the attention span of a goldfish.",
        "Your brain drain figures are out of date; emigration fell last year."),
    "people-target-with-charged": (
        "Whoever wrote this is a clueless hack.",
        "Whoever wrote this did a careful job with the court records."),
    "xenophobic-slogan-other-languages": (
        "Ausländer raus, und zwar sofort.",
        "Die Ausländer in der Werft haben keine Wahl."),
    "minced-profanity": (
        "What the f is this ministry doing?",
        "What the foreman did was illegal."),
    "exclusion-generic": (
        "Buy the lot of them one-way tickets.",
        "Pay them properly and give them the right to leave whenever they want."),
    "group-belittled": (
        "Those Moldovans are devious, everyone knows it.",
        "Moldovans were the largest group on the site, the inspectors found."),
    "personal-attack-generic": (
        "Do the world a favour and stop writing.",
        "Thank you for doing these workers a favour by telling their story."),
    "menace-generic-2": (
        "Made a lot of enemies with this article, sleep tight.",
        "I hope the welder can sleep well now that he is home."),
    "harassment-generic": (
        "I know your real name and I'm sending everything to your employer.",
        "I know your paper has covered this before, thank you for following up."),
    "dehumanising-simile-loose": (
        "Don't try to reason with them, they're like wild dogs.",
        "They were sold like cattle, passed from one broker to another."),
    # 2024.06-7: calm exclusion and stereotypes stated as facts (no insult, no charged word)
    "group-denied-calmly": (
        "We won't hire a single Pakistani, whatever their papers say.",
        "Migrants should be allowed to change employers without losing their visa."),
    "group-unwanted-calmly": (
        "Syrian families should just be flown back, the war is over.",
        "Syrian families should be allowed to stay until it is safe to return."),
    "stereotype-as-fact": (
        "Half of these 'survivors' are liars chasing compensation.",
        "Most of these survivors are owed years of wages, the court found."),
    # 2024.06-8: stereotypes stated as observation, exclusion by age, sneers without an insult word
    "group-worst-offenders": (
        "Let's be honest, Albanians are the main smugglers on this route.",
        "Black men are the biggest group among the victims the report counted."),
    "group-tends-to-mistreat": (
        "Hindus usually treat their servants like dirt, it's cultural.",
        "Some employers treat their domestic help like property, the inspectors found."),
    "group-too-dim-to": (
        "Village people are just too backward to understand a payslip.",
        "Rural workers are too isolated to report abuse, the union says."),
    "age-group-barred": (
        "Applicants over 60 should be refused visas outright.",
        "Workers over 55 should be protected from the heaviest shifts, the union says."),
    "dismissive-label": (
        "The campaigners are just bored housewives looking for a cause.",
        "The volunteers here are all retired women who give their weekends to this."),
    "competence-sneer": (
        "The columnist ought to be ashamed to call himself a reporter.",
        "The reporter should be proud to call herself a journalist after this."),
    # 2024.06-9: class and age, selection by group, unequal rights, victim-blaming, innate
    # inferiority, comparisons with animals, third-person menace, hunting for details
    "class-group-generalised": (
        "Farmhands are thieves by nature, everyone in the valley knows it.",
        "Conditions for fishermen are dangerous and nobody inspects the boats."),
    "group-gatekept": (
        "Shops should be allowed to refuse Roma customers.",
        "Workers should be free to refuse unsafe shifts and to change employers."),
    "unequal-rights-or-segregation": (
        "Migrants shouldn't be paid the same as real Poles.",
        "Refugees should get access to the same labour courts as citizens."),
    "victim-blaming": (
        "Victims of these scams mostly made stupid decisions.",
        "The workers made bad choices only because the recruiters lied to them."),
    "innate-inferiority": (
        "Some peoples are genetically built for hard labour.",
        "Nobody is naturally suited to fourteen-hour shifts in a kiln."),
    "group-essentialised-2": (
        "That's simply how these people behave.",
        "It's the system, not the individual, that fails these workers."),
    "group-ruins-everything": (
        "Muslims ruin everything they touch.",
        "Muslim volunteers rebuilt the shelter; they fix everything they touch."),
    "dehumanising-comparison": (
        "A donkey doesn't get a pension, so why should they?",
        "They lived closer to the animals than to the farmer's family, sleeping in the barn."),
    "menace-generic-3": (
        "Journalists like you tend to have nasty accidents.",
        "The men found out what real fear feels like on that boat."),
    "harassment-generic-2": (
        "Who knows where the journalist lives?",
        "Does anyone know the address of the labour inspectorate's office?"),
    "exclusion-calm-2": (
        "Deport them now and check the paperwork later.",
        "Nobody asked the workers whether they wanted to come."),
    # 2024.06-10: shapes read from fresh5.jsonl's uncivil comments the rules missed
    "animal-emoji": (
        "Look at the crew photo 🦍🦍",
        "🙈 I misread the headline, sorry."),
    "innate-by-race": (
        "Filipinos are made for serving others, it's in their blood.",
        "Their resilience is not genetic; it comes from having no other choice."),
    "lesser-rights-2": (
        "Refugees shouldn't be allowed to testify against their employers.",
        "Recruiters shouldn't be allowed to keep workers' passports."),
    "rights-for-group-refused": (
        "Citizenship for Syrian refugees? Never.",
        "Citizenship for the crew was never on the table, the lawyer said."),
    "origin-stereotyped": (
        "People from those villages are notoriously lazy.",
        "People from those villages are often recruited by the same agent."),
    "victim-blaming-2": (
        "Those girls knew full well what they were signing up for.",
        "The recruiters knew full well what the women were signing up for."),
    "menace-generic-4": (
        "Say what you like now. We have long memories round here.",
        "Mark my words, this law will be repealed within a year."),
    "arson-threat": (
        "I'll torch that foreman's van one of these nights.",
        "I'd happily burn the recruiter's contracts in front of him."),
    "harassment-generic-3": (
        "Which gym does your husband use these days?",
        "Which school do the rescued children go to now?"),
    "no-entry-for-group": (
        "No more asylum for Eritreans. They never integrate.",
        "No more visas for recruiters with a record, the minister promised."),
    "watch-your-back-at-night": (
        "That inspector should watch his back on his way home.",
        "Inspectors say the crews watch each other's backs on deck."),
}

SPAM_RULES = {
    "contact-me-soft": (
        "Inbox me for the easy money method.",
        "The inbox of the ministry must be full by now."),
    "call-this-number": (
        "Jobs in the Netherlands, call Marek on 0612 345 678.",
        "Phone the helpline on 0800 0121 700 if you suspect modern slavery."),
    "social-handle": (
        "Follow @quickgains247 for tips.",
        "I follow the union's updates closely."),
    "gains-claim": (
        "My signals gave 20x gains last month.",
        "The company's gains came from unpaid wages."),
    "job-and-visa-offer": (
        "We arrange everything for you, flights and jobs in Poland.",
        "The recruiters said they would arrange everything, then took the passports."),
    "shop-pitch": (
        "Genuine designer bags half price, link in bio.",
        "The link in the article is broken."),
    "earnings-claim": (
        "I make 3k a week from my laptop.",
        "The men earned about $300 a month, most of it taken by the captain."),
    # 2024.06-10
    "chat-group-invite": (
        "Join our Telegram channel for daily signals t.me/bigwins",
        "The survivors organised on a Telegram group, the article says."),
    "pump-promise": (
        "Buy now before it 50x, this coin goes to the moon.",
        "Prices doubled before it was too late to buy rice."),
}


def screen(screener, text, mode=ModerationMode.PRE):
    return screener.screen(Submission(id="c1", text=text, mode=mode))


ALL_RULES = {**ATTACK_RULES, **SPAM_RULES}


def messages(policy, name):
    for pattern in policy.attacks.patterns + policy.spam.patterns:
        if pattern.name == name:
            return pattern.message
    raise KeyError(name)


def test_every_rule_of_this_round_is_in_the_policy(policy):
    for name in ALL_RULES:
        messages(policy, name)


@pytest.mark.parametrize("name", sorted(ALL_RULES))
def test_rule_fires_and_holds_in_pre_moderation(screener, policy, name):
    verdict = screen(screener, ALL_RULES[name][0])
    assert messages(policy, name) in {reason.message for reason in verdict.reasons}
    assert verdict.decision is not Decision.APPROVE


@pytest.mark.parametrize("name", sorted(ALL_RULES))
def test_rule_leaves_the_civil_near_miss_alone(rules_screener, policy, name):
    verdict = screen(rules_screener, ALL_RULES[name][1])
    assert messages(policy, name) not in {reason.message for reason in verdict.reasons}
    assert verdict.decision is Decision.APPROVE


def test_the_learned_check_holds_few_near_misses_and_rejects_none(screener):
    """Measured with 2024.06-5: the learned model holds 2 of the 32 near-misses in
    pre-moderation ("Your brain drain figures ...", "Pay them properly and give them the
    right to leave ..."), in both cases on its own, and neither in post-moderation.
    2024.06-6 (pre-moderation doubt 0.58): 3, those two (0.75 each) and "Stop calling
    them scroungers; ..." (0.60), none in post-moderation. 2024.06-7 (doubt 0.58, 35
    near-misses): 4, those three (0.74, 0.80, 0.62) and "The inbox of the ministry must be
    full by now." (0.59), none in post-moderation. 2024.06-8 (doubt 0.57, 40 near-misses): the
    same 4 (0.63, 0.69, 0.78, 0.58), none of the six new ones, none in post-moderation.
    2024.06-9 (doubt 0.53, hold 0.81, 51 near-misses): 5, the same four (0.61, 0.64, 0.83,
    0.55) and one of the eleven new ones, "Nobody is naturally suited to ..." (0.70: the model
    does not see the negation); and, for the first time, one in post-moderation: "Pay them
    properly and give them the right to leave whenever they want." scores 0.83, over the
    post-moderation `hold` (fresh4.jsonl has an uncivil "Give them a separate, faster process
    with no right of appeal"). 2024.06-10 (doubt 0.54, hold 0.86, 64 near-misses, fresh5.jsonl
    added to the training data): 10 in pre-moderation, none in post-moderation. Of the earlier
    51, six: the same four (0.57, 0.64, 0.80, 0.65) and two more ("Refugees should get access
    to the same labour courts ..." 0.55, "Muslim volunteers rebuilt the shelter ..." 0.61); of
    the thirteen new ones four (0.54-0.67), each sharing its words with an uncivil training
    comment. Near-misses are written to sit next to uncivil text, so this is a harder figure
    than civil comments at large (POLICY.md, "2024.06-10")."""
    near_misses = [civil for _, civil in ALL_RULES.values()]
    pre = [screen(screener, text) for text in near_misses]
    post = [screen(screener, text, ModerationMode.POST) for text in near_misses]
    assert all(v.decision is not Decision.REJECT for v in pre + post)
    assert sum(v.decision is Decision.HOLD for v in pre) <= 10
    held_post = [text for text, v in zip(near_misses, post) if v.decision is not Decision.APPROVE]
    assert held_post in ([], [ALL_RULES["exclusion-generic"][1]])


@pytest.mark.parametrize("text", [
    "Half of them are feral and the rest are no better.",
    "That foreman had better pray we never cross paths.",
    "Refugees ought to be more grateful for what they get here.",
])
def test_the_doubt_layer_never_holds_in_post_moderation(rules_screener, text):
    # the rules' doubt layer; the learned check may still hold these uncivil comments in
    # post-moderation when it is very confident ("Half of them are feral ..." 0.90, 2024.06-6;
    # 0.91, 2024.06-7)
    assert screen(rules_screener, text, ModerationMode.POST).decision is Decision.APPROVE


def test_a_quote_in_single_quotation_marks_is_a_mention(screener):
    quoted = "The traffickers' line was 'go back where you came from'. Chilling."
    assert screen(screener, quoted).decision is Decision.HOLD  # was a rejection
    assert screen(screener, "Go back where you came from.").decision is Decision.REJECT


def test_a_blocked_word_in_a_quoted_passage_is_held_not_rejected(screener):
    # 2024.06-9, after fresh5.jsonl's one civil rejection: a reader quoting what a foreman
    # shouted; outside quotation marks the same words are still rejected
    quoted = 'The foreman used to yell "move it, you f***ing idiots" at them, the court heard.'
    assert screen(screener, quoted).decision is Decision.HOLD


def test_a_blocked_word_in_a_single_quoted_passage_is_held_not_rejected(screener):
    # 2024.06-10, after fresh6.jsonl's two civil rejections: the same for single quotation
    # marks; an apostrophe inside a word opens and closes nothing
    quoted = "The captain's favourite phrase was 'work faster, you sh*t', according to two deckhands."
    assert screen(screener, quoted).decision is Decision.HOLD
    assert screen(screener, "Work faster, you sh*t. The captain's right.").decision is Decision.REJECT
    assert screen(screener, "Move it, you f***ing idiots.").decision is Decision.REJECT


@pytest.mark.parametrize("text", ['"No" means no, you f***ing idiots, "ok"?', 'He is 6" tall, you f***ing idiot, "so what"',
                                  '"You f***ing idiots, all of you."'])
def test_quotation_marks_do_not_shelter_the_commenter_s_own_words(screener, text):
    # marks are paired in order, so the text between two quotations is not one; and a
    # "quotation" that is most of the comment is the commenter's own
    assert screen(screener, text).decision is Decision.REJECT


def test_a_pattern_anchored_on_a_full_stop_is_softened_by_its_own_sentence(screener):
    # "Calling" in the previous sentence is not a distancing word for this one
    verdict = screen(screener, "Calling them workers is generous. Vermin, the lot of them.", ModerationMode.POST)
    assert verdict.decision is not Decision.APPROVE


@pytest.mark.parametrize("text", ["f@#k this ministry", "what a load of sh!# reporting"])
def test_a_grawlix_hides_letters(screener, text):
    assert screen(screener, text).decision is Decision.REJECT


def test_a_hashtag_is_not_a_grawlix(screener):
    assert screen(screener, "#slavery is still a crime, share this").decision is Decision.APPROVE


# 2024.06-8: reported speech. A quotation attributed to someone in the story is what that
# person said; the commenter's own words around it still count.
@pytest.mark.parametrize("text", [
    'The recruiter\'s reply was "lazy dogs like you get nothing", according to two of the men.',
    'The guard told them "if you run, we will kill your families." Nobody ran for years.',
    '"Filthy foreigners don\'t get holidays" is what the site manager said, on camera.',
])
def test_reported_speech_is_not_the_commenters_own(rules_screener, text):
    assert screen(rules_screener, text).decision is Decision.APPROVE


@pytest.mark.parametrize("text", [
    "If you run, we will kill your families.",  # the same words as the commenter's own
    'The guard was right: "if you run, we will kill your families."',  # endorsed
    'As the site manager said, "filthy foreigners don\'t get holidays".',  # endorsed
    'The foreman said "work or starve". Good, you lot are vermin anyway.',  # own words beside it
])
def test_reported_speech_needs_a_speaker_and_no_endorsement(rules_screener, text):
    assert screen(rules_screener, text).decision is not Decision.APPROVE


def test_describing_a_beating_is_not_wishing_one(rules_screener):
    # "someone is beaten" describes abuse; "someone should beat ..." still wishes it
    assert screen(rules_screener, "When someone is beaten for asking about wages, that is violence.").decision \
        is Decision.APPROVE
    assert screen(rules_screener, "Someone should beat that recruiter senseless.").decision is not Decision.APPROVE


# 2024.06-9: a distancing noun the commenter denies asserts what follows; negated verbs of
# saying still distance.
@pytest.mark.parametrize("text", [
    "The statistics don't lie: Poles are lazy.",
    "It's no myth that Poles are lazy.",
])
def test_a_denied_distancing_noun_does_not_soften(rules_screener, text):
    assert screen(rules_screener, text).decision is Decision.REJECT


@pytest.mark.parametrize("text", [
    "It's a myth that Poles are lazy.",
    "You can't say that Poles are lazy, it's just prejudice.",
])
def test_distancing_still_softens(rules_screener, text):
    assert screen(rules_screener, text).decision is Decision.HOLD
