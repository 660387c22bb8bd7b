//! The page's words (`translationOverrides`, `textContent`) over a language's own.
//!
//! A language's words are `&'static` (`i18n`); overridden ones are made so by leaking them once per start or
//! `setLanguage` (bounded by the options: at most `config::MAX_WORD_OVERRIDES` of `config::MAX_WORD_CHARS`).

use crate::config::UiOptions;
use crate::i18n::Strings;

/// `base` with the page's words for the language `code` (`UiOptions::words_for`, then `humanAgent.name`; a
/// later one winning) in place of its own; `base` itself when there are none.
pub fn with_overrides(base: &'static Strings, ui: &UiOptions, code: &str) -> &'static Strings {
    // `humanAgent.name` is the name of an agent who has none: the word `support`, for every language.
    let agent = ui.human_agent.name.as_deref().map(|name| ("support", name));
    let mut words = ui.words_for(code).chain(agent).peekable();
    if words.peek().is_none() {
        return base;
    }
    let mut strings = *base;
    for (key, text) in words {
        if let Some(slot) = slot(&mut strings, key) {
            *slot = Box::leak(text.to_owned().into_boxed_str());
        }
    }
    Box::leak(Box::new(strings))
}

/// The field of `strings` named `key` (`config::WORD_KEYS`).
fn slot<'s>(strings: &'s mut Strings, key: &str) -> Option<&'s mut &'static str> {
    Some(match key {
        "open_chat" => &mut strings.open_chat,
        "close_chat" => &mut strings.close_chat,
        "title" => &mut strings.title,
        "greeting" => &mut strings.greeting,
        "message" => &mut strings.message,
        "send" => &mut strings.send,
        "new_conversation" => &mut strings.new_conversation,
        "earlier_conversations" => &mut strings.earlier_conversations,
        "back" => &mut strings.back,
        "no_conversations" => &mut strings.no_conversations,
        "you" => &mut strings.you,
        "support" => &mut strings.support,
        "pending" => &mut strings.pending,
        "failed_retry" => &mut strings.failed_retry,
        "unavailable" => &mut strings.unavailable,
        "new_reply" => &mut strings.new_reply,
        "unread" => &mut strings.unread,
        "too_long" => &mut strings.too_long,
        "resolved" => &mut strings.resolved,
        "resolved_by" => &mut strings.resolved_by,
        "you_ended" => &mut strings.you_ended,
        "reopened" => &mut strings.reopened,
        "you_rated" => &mut strings.you_rated,
        "of_five" => &mut strings.of_five,
        "is_typing" => &mut strings.is_typing,
        "seen" => &mut strings.seen,
        "end_chat" => &mut strings.end_chat,
        "end_confirm" => &mut strings.end_confirm,
        "end" => &mut strings.end,
        "cancel" => &mut strings.cancel,
        "rate_question" => &mut strings.rate_question,
        "comment" => &mut strings.comment,
        "send_rating" => &mut strings.send_rating,
        "thanks" => &mut strings.thanks,
        "attach" => &mut strings.attach,
        "remove" => &mut strings.remove,
        "uploading" => &mut strings.uploading,
        "file_too_large" => &mut strings.file_too_large,
        "file_type_refused" => &mut strings.file_type_refused,
        "too_many_files" => &mut strings.too_many_files,
        "file_empty" => &mut strings.file_empty,
        "waiting_online" => &mut strings.waiting_online,
        "retry_online" => &mut strings.retry_online,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Language, WORD_KEYS};

    #[test]
    fn every_word_key_is_a_field_and_a_later_override_wins() {
        let base = crate::i18n::strings(Language::English);
        for key in WORD_KEYS {
            assert!(slot(&mut base.clone(), key).is_some(), "{key}");
        }
        let mut ui = crate::config::parse(&crate::value::from_json(serde_json::json!({
            "token": "wt_x",
            "translationOverrides": { "en": { "title": "Help", "send": "Go" }, "fr": { "send": "Envoyer" } },
            "textContent": { "chatScreen": { "headerTitle": "Acme" } },
            "humanAgent": { "name": "Acme team" }
        })))
        .unwrap()
        .ui;
        let strings = with_overrides(base, &ui, "en");
        assert_eq!(
            (strings.title, strings.send, strings.back, strings.support),
            ("Acme", "Go", base.back, "Acme team")
        );
        ui.translation_overrides.clear();
        ui.human_agent.name = None;
        assert!(std::ptr::eq(with_overrides(base, &ui, "en"), base));
    }
}
