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
    // Every key was checked against `i18n::KEYS` when the options were parsed: none is unknown here.
    let (strings, _) = base.with_overrides(words);
    Box::leak(Box::new(strings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WORD_KEYS;

    #[test]
    fn the_option_keys_are_the_words_and_a_later_override_wins() {
        let base = &crate::i18n::ENGLISH;
        let words: Vec<&str> = crate::i18n::KEYS.iter().map(|(key, _)| *key).collect();
        assert_eq!(WORD_KEYS, words.as_slice());
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
