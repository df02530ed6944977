"""Chat: the conversation around the search: its rules, replies and buttons, storage, reloads and UI strings.

The conversation rules (`dialogue`), replies and buttons (`render`,
`callbacks`), what the bot remembers (`store`), content reloads (`reload`)
and the translators' UI strings (`messages`, reading `bot/locales/`). Free of
Telegram types, so the Telegram layer above stays thin.
"""
