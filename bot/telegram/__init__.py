"""Telegram: the one place the `Application` is assembled (`app`), thin handlers, delivery and the flood limit.

Named after the library it wraps; its modules import the library absolutely
(`from telegram.ext import ...`) and the rest of the bot relatively, so the
two never shadow each other.
"""
