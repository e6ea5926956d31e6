"""The security regression suite: what an attacker's probe tried (issue 15), kept failing.

- XSS (test_xss_*.py): one corpus (xss_corpus.py, also used by tests/forum/test_forum_xss.py)
  typed into every stored surface through the real routes, as the role that would type it:
  chat messages and what the bot's action server sends with a handoff, tickets (replies, notes,
  the customer's replies, ratings), canned responses, knowledge-base drafts and articles, the
  trainer's personas and attempts, people's names, moderators' reasons, flag notes and watched
  words (the forum's own test covers titles, posts and tags). Every page that shows them is read
  as the role that sees it (html_safety.py: no script but the page's own, no on* attribute, no
  javascript:/vbscript:/data: URL, nothing the same page lacks with harmless text, every
  payload shown as typed), and Chromium opens the script-built pages (test_xss_browser.py).
- Forged CSRF (test_csrf.py): every state-changing route in ``app.url_map``, without the
  session's token, answers 400 and changes no row; the exempt bot API is listed with its reason.
- Who may call what (test_route_rules.py, matrix.py): every route in ``app.url_map`` must have a
  rule in one of three matrices (the live-agent, forum and this one), so a new route without one
  fails the build; the routes only this matrix covers are tried by every role.
- Bad input (test_bad_urls.py, test_bad_bodies.py): huge ids, page numbers and event cursors,
  script in the URL, deep or malformed JSON, wrong types, huge numbers, oversized fields and
  bodies on every route, and hostile watched-word regexes: a clear 4xx, never a 500, and a
  refusal changes nothing. What fails on main is a strict expected failure naming its finding.

The suite is parametrized by ``app.url_map`` (routes.py), so a new route is in every check at
once. Shared pieces: world.py (the cast, fresh targets, snapshots), calling.py, xss_pages.py.
"""
