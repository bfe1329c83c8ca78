"""The public web chat: a page and a JSON API on the same engine as every channel."""
