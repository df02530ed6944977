"""A multilingual Telegram Q&A bot over a markdown knowledge base.

One package per layer, bottom first; each imports only the layers listed before it
(`tests/test_layers.py` holds the order):

- `language`: normalise (`textnorm`, `analysis`, word frequencies from
  `frequencies`), correct typos (`spelling`), detect (`langdetect`);
- `content`: article files (read within the folder by `files`; `parsing`, inline
  markdown by `inline`) → articles (`articles`);
- `search`: per-language index (`index`, cached by `index_cache`), match
  (`matching`), rank (`ranking`), choose and compose the answer (`searcher`);
  paragraphs' vectors (`vectors`), embedded in the background while the bot
  answers (`background`);
- `chat`: the conversation rules (`dialogue`), replies (`render`), the
  database (`store`), its outages (`outage`) and how long its log is kept
  (`retention`), content reloads (`reload`), UI strings (`messages`);
- `telegram`: the `Application` (`app`), thin `handlers`, `delivery`, `flood`.

`config` (settings) and `cli` (the commands) stand on top.
"""

import os

# A serving process answers on one core: webhook workers are processes, and its other threads only wait on
# Telegram. numpy's OpenBLAS would start a thread per core for the unit-vector products (`search.similarity`),
# and on a busy machine each product then waits for the other core: a question's similarity to 22,000 units
# took 22 ms at the median and 145 ms at p90 so, against 1.9 and 10 ms on one thread. OpenBLAS reads this when
# numpy is first imported, which importing the bot comes before; an operator's own setting stands.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
