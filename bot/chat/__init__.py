"""Chat: the conversation around the search: its rules, replies and buttons, reloads and UI strings.

The conversation rules (`dialogue`), replies and buttons (`render`,
`callbacks`), how a reader's update treats a failing database (`outage`),
content reloads (`reload`) and the translators' UI strings (`messages`,
reading `bot/locales/`). What the bot remembers is `storage`, a layer
below. Free of Telegram types, so the Telegram layer above stays thin.
"""
