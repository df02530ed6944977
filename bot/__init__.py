"""A multilingual Telegram Q&A bot over a markdown knowledge base.

Data flows one way: article files (`parsing`) → articles (`articles`) →
per-language index (`index`) → query (`textnorm`, `analysis`, `langdetect`,
`search`) → reply. Only the CLI and the Telegram layer do I/O with people.
"""
