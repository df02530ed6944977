"""Search: the index over the content, matching and ranking a question, and the searcher that answers it.

The index (`index`, kept on disk by `index_cache`), one question word to index
terms (`matching`), one language's paragraphs ranked (`ranking`), the language
chosen and the answer composed (`searcher`), and a ready searcher from the
settings (`loading`). Imports the content and language layers, never Telegram.
"""
