"""Language: text in one language made comparable, and which language a text is in.

Normalisation (`textnorm`), terms and stop words (`analysis`), word
frequencies (`frequencies`), typo correction (`spelling`), language detection
(`langdetect`) and the per-language table (`languages`). The bottom layer: it
imports no other part of the bot.
"""
