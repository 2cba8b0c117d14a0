"""Human-in-the-loop review of low-confidence extractions.

    queue.py     ReviewQueue: the latest fields.validated record per document
    decision.py  decide(): a reviewer's decision as a new fields.validated record
    users.py     Reviewers (scrypt-hashed passwords, hashed bearer tokens, roles)
    follower.py  keeps a ReviewQueue up to date from the topic
    app.py       create_app(): the review web page (FastAPI + Jinja2)
"""

from streams.review.decision import decide
from streams.review.queue import ReviewQueue
from streams.review.users import Reviewer, Reviewers

__all__ = ["ReviewQueue", "Reviewer", "Reviewers", "decide"]
