"""Telegram handlers: updates in, `Dialogue` calls, messages out. No search or conversation logic here."""

from __future__ import annotations

import logging
import re
import time

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import ChatType, MessageEntityType
from telegram.error import BadRequest, NetworkError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from ..chat.callbacks import Vote, decode
from ..chat.dialogue import Asker
from ..chat.messages import message
from ..chat.render import Button, Reply
from ..metrics import ANSWER_SECONDS, FLOOD_NOTICES
from .context import Context
from .flood import Admission

log = logging.getLogger(__name__)


def asker_of(update: Update) -> Asker:
    """Who is asking; an inline query comes from no chat, and the user's own private chat stands in for it."""
    user = update.effective_user
    chat_id = update.effective_chat.id if update.effective_chat else user.id
    return Asker(chat_id, user.id if user else None, user.language_code if user else None)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in reply.buttons])


async def send(context: Context, chat_id: int, reply: Reply, quote: Message | None = None) -> None:
    """Send every message of `reply`; the buttons go under the last one."""
    for i, text in enumerate(reply.texts):
        last = i == len(reply.texts) - 1
        markup = keyboard(reply) if last else None
        if quote is not None and i == 0:
            await quote.reply_text(text, reply_markup=markup, do_quote=True)
        else:
            await context.bot.send_message(chat_id, text, reply_markup=markup)


def in_group(update: Update) -> bool:
    return update.effective_chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


async def start(update: Update, context: Context) -> None:
    """/start and /help: what the bot does, in the user's language."""
    await send(context, update.effective_chat.id, await context.dialogue.help(asker_of(update)))


async def lang(update: Update, context: Context) -> None:
    """/lang [CODE]: show the language menu, or set the language; "/lang tr da" is no code, and is told which are."""
    code = " ".join(context.args) if context.args else None
    await send(context, update.effective_chat.id, await context.dialogue.language(asker_of(update), code))


async def highlights(update: Update, context: Context) -> None:
    """/highlights [TOPIC]: the key points of an article."""
    reply = await context.dialogue.highlights(asker_of(update), " ".join(context.args or []))
    await send(context, update.effective_chat.id, reply)


async def question(update: Update, context: Context) -> None:
    """A question in a private chat."""
    started = time.perf_counter()
    reply = await context.dialogue.ask(asker_of(update), update.effective_message.text or "")
    await send(context, update.effective_chat.id, reply)
    ANSWER_SECONDS.observe(time.perf_counter() - started)


_MENTIONS = [MessageEntityType.MENTION, MessageEntityType.TEXT_MENTION]


def addressed_text(message_: Message, username: str, bot_id: int) -> str | None:
    """The question in a group message meant for the bot (mention or reply to it), else None.

    The mention may be typed (`@username`, in any case, anywhere) or picked
    from the member list, which Telegram sends as a `text_mention` of the
    bot's display name; either is taken out of the question. A photo's caption
    counts as its text. A bare mention in reply to someone else's message asks
    the bot about that message; a bare mention alone gives "" (see `group_message`).
    """
    text = message_.text or message_.caption or ""
    replied = message_.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == bot_id
    mention = f"@{username}".lower()
    entities = message_.parse_entities(_MENTIONS) if message_.text else message_.parse_caption_entities(_MENTIONS)
    names = [
        value
        for entity, value in entities.items()
        if (entity.type == MessageEntityType.MENTION and value.lower() == mention)
        or (entity.type == MessageEntityType.TEXT_MENTION and entity.user is not None and entity.user.id == bot_id)
    ]
    if not (to_bot or names):
        return None
    for name in names:
        text = text.replace(name, " ")
    question = " ".join(re.sub(re.escape(mention), " ", text, flags=re.IGNORECASE).split())
    if not question and replied is not None and not to_bot:
        question = " ".join((replied.text or replied.caption or "").split())
    return question


async def group_message(update: Update, context: Context) -> None:
    """A group message: answered only when it mentions the bot or replies to it; a bare mention gets the help."""
    text = addressed_text(update.effective_message, context.bot.username, context.bot.id)
    if text is None:
        return
    started = time.perf_counter()
    asker = asker_of(update)
    reply = await context.dialogue.ask(asker, text) if text else await context.dialogue.help(asker)
    await send(context, update.effective_chat.id, reply, quote=update.effective_message)
    if text:
        ANSWER_SECONDS.observe(time.perf_counter() - started)


async def button(update: Update, context: Context) -> None:
    """An inline button; the query is always answered, so the button never keeps spinning.

    A button on a message shared in inline mode comes with no chat (an
    `inline_message_id` instead of the message): `Dialogue.press_on_shared`.
    """
    query = update.callback_query
    try:
        if update.effective_chat is None:
            pressed = await context.dialogue.press_on_shared(asker_of(update))
        else:
            pressed = await context.dialogue.press(asker_of(update), query.data)
    except Exception:
        await query.answer()
        raise
    await query.answer(pressed.notice, show_alert=pressed.notice is not None and pressed.votes is None)
    if pressed.votes and query.message is not None and query.message.reply_markup is not None:
        await query.edit_message_reply_markup(with_votes(query.message.reply_markup, pressed.votes))
    if pressed.reply is not None:
        await send(context, update.effective_chat.id, pressed.reply)


def with_votes(markup: InlineKeyboardMarkup, votes: tuple[Button, ...]) -> InlineKeyboardMarkup:
    """The message's buttons with its row of vote buttons replaced by `votes` (the reader's vote marked)."""
    fresh = tuple(InlineKeyboardButton(b.label, callback_data=b.data) for b in votes)
    rows = [
        fresh if any(isinstance(decode(b.callback_data), Vote) for b in row if isinstance(b.callback_data, str)) else row
        for row in markup.inline_keyboard
    ]
    return InlineKeyboardMarkup(rows)


INLINE_CACHE_SECONDS = 30
"""How long Telegram may serve one query's results again without asking: answers change only with the content."""


async def inline_query(update: Update, context: Context) -> None:
    """`@bot question` in any chat: up to five answers to pick from, each posting the paragraph and a way to the bot."""
    query = update.inline_query
    shared = await context.dialogue.share(asker_of(update), query.query)
    more = InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"@{context.bot.username}", url=f"https://t.me/{context.bot.username}?start=inline")]]
    )
    results = [
        InlineQueryResultArticle(
            id=item.key,
            title=item.title,
            description=item.description,
            input_message_content=InputTextMessageContent(item.text),
            reply_markup=more,
        )
        for item in shared
    ]
    await query.answer(results, cache_time=INLINE_CACHE_SECONDS)


async def not_text(update: Update, context: Context) -> None:
    """A sticker, photo, voice message or the like in a private chat."""
    await send(context, update.effective_chat.id, await context.dialogue.not_text(asker_of(update)))


def _addressed_to_bot(update: Update, context: Context) -> bool:
    """Whether the bot would act on this update; group chatter it ignores must not count against anyone."""
    if update.callback_query is not None or update.inline_query is not None or not in_group(update):
        return True
    message_ = update.effective_message
    return message_ is not None and (
        (message_.text or "").startswith("/") or addressed_text(message_, context.bot.username, context.bot.id) is not None
    )


async def flood_check(update: Update, context: Context) -> None:
    """Runs before every other handler: over the limit, a user gets one notice and nothing else for a while.

    A button press counts as a message, on a message shared in inline mode
    too, where there is no chat to send the notice to: it shows on the button.
    """
    user = update.effective_user
    inline = update.inline_query is not None
    pressed = update.callback_query
    chat = update.effective_chat
    if user is None or (chat is None and not inline and pressed is None) or not _addressed_to_bot(update, context):
        return
    asker = asker_of(update)
    if context.dialogue.is_admin(asker):
        return
    guard = context.bot_data.inline_flood_guard if inline else context.bot_data.flood_guard
    admission = await guard.check(user.id)
    if admission is Admission.ANSWER:
        return
    if inline:
        await update.inline_query.answer([], cache_time=0)
        raise ApplicationHandlerStop
    notice = None
    if admission is Admission.NOTIFY:
        FLOOD_NOTICES.inc()
        notice = await context.dialogue.flood_notice(asker)
    if pressed is not None:
        on_button = notice.texts[0] if notice is not None and chat is None else None
        await pressed.answer(on_button, show_alert=on_button is not None)
    if notice is not None and chat is not None:
        await send(context, chat.id, notice)
    raise ApplicationHandlerStop


async def stats(update: Update, context: Context) -> None:
    """/stats, for admins: questions asked and answered, and the most frequent unanswered ones."""
    await send(context, update.effective_chat.id, await context.dialogue.stats(asker_of(update)))


async def stats_elsewhere(update: Update, context: Context) -> None:
    """/stats by an admin in a group: readers' questions are not posted there; the reply says where to ask."""
    await send(context, update.effective_chat.id, await context.dialogue.stats_elsewhere(asker_of(update)))


async def reload(update: Update, context: Context) -> None:
    """/reload, for admins: pick up edited content now rather than at the next periodic check."""
    await send(context, update.effective_chat.id, await context.dialogue.reload(asker_of(update)))


async def unknown_command(update: Update, context: Context) -> None:
    """A command the bot does not have; in groups only when addressed to this bot by name."""
    if in_group(update) and f"@{context.bot.username}".lower() not in (update.effective_message.text or "").lower():
        return
    await send(context, update.effective_chat.id, await context.dialogue.unknown_command(asker_of(update)))


async def on_error(update: object, context: Context) -> None:
    """Log the failure and tell the user, so one bad update never goes unanswered or stops the bot.

    The reply's language comes from the update alone: the database may be
    what failed, and asking it again would cost the reader their reply. Errors with no update are the polling loop's: the Bot API is unreachable for
    a moment, and python-telegram-bot retries by itself, so a line is enough. A
    reply still unsent after `SEND_RETRY_SECONDS` of retries is one line naming
    the chat and what was asked.
    """
    if update is None and isinstance(context.error, NetworkError):
        log.warning("Bot API unreachable, retrying: %s", context.error)
        return
    undelivered = isinstance(context.error, NetworkError) and not isinstance(context.error, BadRequest)
    if isinstance(update, Update) and update.effective_chat is not None and undelivered:
        asked = update.effective_message.text if update.effective_message else None
        asked = asked if asked is not None else getattr(update.callback_query, "data", None)
        log.error("chat %s: the reply to %r could not be sent: %s", update.effective_chat.id, asked, context.error)
        return
    log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        lang = context.dialogue.unstored_language(asker_of(update))
        try:
            await context.bot.send_message(update.effective_chat.id, message(lang, "error"))
        except Exception:
            log.exception("could not tell the user about the failure")


def register(application: Application, admin_user_ids: frozenset[int] = frozenset()) -> None:
    """All handlers, in the order they are tried.

    Admin commands only match admins; anyone else's /stats falls through to
    the unknown-command handler, so the commands do not even show they exist.
    """
    new_messages = filters.UpdateType.MESSAGE
    admins = filters.User(user_id=admin_user_ids)
    application.add_handler(TypeHandler(Update, flood_check), group=-1)
    application.add_handler(CommandHandler(["start", "help"], start))
    application.add_handler(CommandHandler("stats", stats, filters=admins & filters.ChatType.PRIVATE))
    application.add_handler(CommandHandler("stats", stats_elsewhere, filters=admins))
    application.add_handler(CommandHandler("reload", reload, filters=admins))
    application.add_handler(CommandHandler("lang", lang))
    application.add_handler(CommandHandler("highlights", highlights))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(InlineQueryHandler(inline_query))
    application.add_handler(MessageHandler(new_messages & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(new_messages & filters.ChatType.PRIVATE & filters.TEXT, question))
    application.add_handler(
        MessageHandler(new_messages & filters.ChatType.GROUPS & (filters.TEXT | filters.CAPTION), group_message)
    )
    application.add_handler(MessageHandler(new_messages & filters.ChatType.PRIVATE, not_text))
    application.add_error_handler(on_error)
