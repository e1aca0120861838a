"""The chat domain: rooms, members, history and the rules between them.

Pure and synchronous: standard library only, time passed in as a value. Module tree::

    errors.py     ErrorCode, ChatError (every denial)
    model.py      Member, Departure, Room (membership, ownership, moderation, typing)
    history.py    Message, History (per-room ring with seq)
    events.py     what the services publish or reply (rendered to the wire at the edge)
    policies/     names, text, rate limits, profanity: value in, value out
"""
