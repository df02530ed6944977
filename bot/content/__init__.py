"""Content: article files read into articles, sections and paragraphs (`files`, `parsing`, `inline`,
`articles`).

Imports only the language layer (to recognise a language code in a file name).
"""
