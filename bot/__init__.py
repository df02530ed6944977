"""A multilingual Telegram Q&A bot over a markdown knowledge base.

One package per layer, bottom first; each imports only the layers listed before it
(`tests/test_layers.py` holds the order):

- `language`: normalise (`textnorm`, `analysis`, word frequencies from
  `frequencies`), correct typos (`spelling`), detect (`langdetect`);
- `content`: article files (read within the folder by `files`; `parsing`, inline
  markdown by `inline`) → articles (`articles`);
- `search`: per-language index (`index`, cached by `index_cache`), match
  (`matching`), rank (`ranking`), choose and compose the answer (`searcher`);
- `chat`: the conversation rules (`dialogue`), replies (`render`), the
  database (`store`), its outages (`outage`) and how long its log is kept
  (`retention`), content reloads (`reload`), UI strings (`messages`);
- `telegram`: the `Application` (`app`), thin `handlers`, `delivery`, `flood`.

`config` (settings) and `cli` (the commands) stand on top.
"""
