"""Demo content for ``parley seed``: written for Parley, on the facts of a 2018 news story.

Seeding goes through the services' own handlers, so it writes the same rows and outbox events
a real editor and real readers would. The comments service's article projection is applied
from the very event the articles service wrote (and recorded as processed), so demo comments
can be added at once; when the consumer later receives that event it skips it.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

ARTICLE = {
    "slug": "north-korean-workers-sent-abroad",
    "title": "North Korea's Workers Abroad Hand Over Their Pay as \"Party Duty\"",
    "summary": ("An undercover investigation followed North Korean labourers in China, Russia and Poland, "
                "where much of what they earn goes back to the regime."),
    "body": """
<p>Every year, by most estimates, some 150,000 North Koreans leave their country on state-arranged work
contracts. What they earn abroad adds up to billions of dollars, and most of it never reaches them.</p>
<p>A team of undercover reporters from the BBC spent two years looking into the lives of these labourers
in China, Russia and Poland. Few of the men would talk on camera. One who agreed to speak without giving
his name compared his treatment to that of an animal and said the work left no room to remain human.</p>
<p>The workers are expected to pass a large share of their wages to a North Korean supervisor, known to
them as the "captain". The payment is called "Party Duty". A decade ago it stood at about 15,000 roubles
(roughly $260) a month; the worker said it has since doubled.</p>
<p>At a shipyard in Szczecin, in north-western Poland, nearly 800 North Koreans work as welders and
labourers. Posing as a recruitment agency, the reporters met their foreman, who said the men are there
only to work: their holidays are unpaid, and when a deadline looms they keep going without breaks. Local
Polish staff, he said, put in their eight hours and go home; his men work for as long as it takes.</p>
<p>North Korea's embassy in Warsaw maintains that its citizens work within Polish law and EU rules.
Polish officials say regular inspections have found no proof that the workers' earnings are being sent
back to Pyongyang.</p>
<p>Thae Yong Ho, once North Korea's deputy ambassador in London, accepts that the little money these men
send home helps their families. He argues that this is no reason for other governments to ease sanctions
while the regime pursues nuclear weapons.</p>
<p>In December the United Nations adopted a resolution to end the practice of sending North Korean
labourers abroad. Host countries have two years to comply.</p>
""",
    "hero_image_url": "https://images.example.org/szczecin-shipyard.jpg",
    "hero_image_alt": "Cranes over a shipyard on the river in Szczecin",
    "source_name": "BBC News",
    "source_url": "https://www.bbc.co.uk/news/",
    "author": "Parley demo desk",
    "categories": ["Debt Bondage", "Forced Labor", "Human Trafficking"],
    "moderation_mode": "pre",
}
PUBLISHED_AT = datetime(2018, 4, 16, 9, 0, tzinfo=timezone.utc)

SIDEBAR = [
    {"slug": "un-rights-chief-libya-coast-guard",
     "title": "UN rights chief asks the EU to rethink its support for Libya's coast guard",
     "summary": ("Volker Türk told the Human Rights Council that migrants returned to Libya face trafficking, "
                 "torture, forced labour, extortion and hunger, and called for the EU's agreement to be reviewed."),
     "body": "<p>The UN High Commissioner for Human Rights, Volker Türk, has asked for an urgent review of "
             "the European Union's arrangement with Libyan authorities to stop migrants at sea and return "
             "them to Libya.</p><p>He listed trafficking, torture, forced labour, extortion and starvation "
             "among the abuses that returned migrants and asylum seekers suffer.</p>",
     "source_name": "UN News", "categories": ["Human Trafficking", "Forced Labor"]},
]

COMMENTS = [
    ("Maren Holt", "maren@example.org", "Two years undercover is a serious piece of work. I had no idea the "
     "\"Party Duty\" payment had doubled in ten years.", None, 4),
    ("Tomasz W.", "tomasz@example.org", "I live near Szczecin and this was news to me. Who inspects these "
     "contracts, and how often?", None, 2),
    ("Ada N.", "ada@example.org", "The inspectors reportedly found nothing. That says more about the "
     "inspections than about the workers.", 1, 3),
    ("Sam Rivera", "sam@example.org", "Sanctions only work if host countries actually enforce the UN "
     "deadline. Two years is a long time for the men stuck there now.", None, 1),
]


def seed() -> str:
    from services.articles import app as articles_app, handlers as ah
    from services.articles.models import Article
    from services.comments import app as comments_app, commands as ch, handlers as comment_handlers
    from services.comments.models import Decision, ProcessedEvent
    from shared.consumer import apply_once
    from shared.events import decode

    a_rt = articles_app.bootstrap()
    created = []
    with a_rt.db.session() as s:
        for i, data in enumerate([ARTICLE, *SIDEBAR]):
            if s.scalar(select(Article.id).where(Article.slug == data["slug"])) is not None:
                continue
            art = ah.create_article(s, dict(data))
            ah.publish(s, art, PUBLISHED_AT if i == 0 else datetime.now(timezone.utc) - timedelta(days=1))
            created.append(art.slug)
    a_rt.wake_relay()
    if not created:
        return "demo content already present"

    c_rt = comments_app.bootstrap()
    deps = c_rt.deps
    with a_rt.db.read_session() as s:
        from services.articles.models import Outbox

        events = [decode(r.payload) for r in s.scalars(select(Outbox).order_by(Outbox.id))]
    for ev in events:
        for fn in comment_handlers.EVENT_HANDLERS.get(ev.type, []):
            apply_once(c_rt.db, ProcessedEvent, comments_app.NAME, ev, lambda s, e, fn=fn: fn(s, e, deps))
    ids: list[int] = []
    with c_rt.db.session() as s:
        for n, (name, email, body, parent_index, votes) in enumerate(COMMENTS):
            parent = ids[parent_index - 1] if parent_index else None
            c, _ = ch.submit_comment(s, {"article": ARTICLE["slug"], "parent_id": parent, "author_name": name,
                                         "author_email": email, "body": body}, deps)
            c.imported = True
            c.created_at = PUBLISHED_AT + timedelta(hours=3 + n)
            ch.decide(s, c.id, Decision.APPROVE, "demo comment", "parley seed")
            for v in range(votes):
                ch.vote(s, c.id, f"demo-voter-{v:04d}", 1, f"10.0.0.{v}", deps)
            ids.append(c.id)
            s.flush()
    c_rt.wake_relay()
    return f"seeded {', '.join(created)} and {len(ids)} comments"
