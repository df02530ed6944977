"""A multilingual Telegram Q&A bot over a markdown knowledge base.

Data flows one way: article files (`parsing`) → articles (`articles`) →
per-language index (`index`, cached by `index_cache`) → query: normalise
(`textnorm`, `analysis`, word frequencies from `frequencies`),
detect (`langdetect`), match (`matching`), rank and decide (`search`) →
reply (`render`). `dialogue` holds the conversation rules, `store` the
database, `handlers` and `app` the Telegram side, `cli` the commands.
"""
