"""What every channel shares between turns: news pushed out, reloads followed, a sync thread.

A channel adapter translates (its payload -> ``Message``, ``Reply`` -> its format) and
says how to ``deliver`` news; ``Runtime`` decides when, and makes sure each piece of
news reaches exactly one process's ``deliver`` once.
"""

from bot.runtime.channel import Channel, Helpdesk
from bot.runtime.runtime import Runtime, as_news

__all__ = ["Channel", "Helpdesk", "Runtime", "as_news"]
