//! The widget's words, per language. Pure data and pure functions: the view reads them, and the browser
//! layer ([`crate::locale`]) fetches a language's file and picks a plural's category; nothing here
//! touches the browser, so native tests use it as the widget does.
//!
//! The words live in `src/locales/<code>.json`, one file per language, which a translator edits
//! without reading Rust (`src/locales/README.md`): flat keys, the fields of [`Strings`], each a string,
//! or for a word that depends on a count ([`Plural`]) an object of its forms by CLDR plural category.
//! English is compiled in ([`ENGLISH`], from `en.json` by `build.rs`); any other language is fetched
//! when it is wanted, and a word its file lacks stays English.

use crate::protocol::{Author, MessageKind};
use crate::value::Value;

/// The CLDR plural categories, as `Intl.PluralRules.select` names them.
pub const PLURAL_CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

/// A word with a form per CLDR plural category; `{n}` in a form is the count. A language gives the
/// categories its rules use (English: one, other; Russian: one, few, many, other; Arabic: all six), and
/// an empty form is one it does not use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plural {
    pub zero: &'static str,
    pub one: &'static str,
    pub two: &'static str,
    pub few: &'static str,
    pub many: &'static str,
    pub other: &'static str,
}

impl Plural {
    pub const NONE: Plural = Plural {
        zero: "",
        one: "",
        two: "",
        few: "",
        many: "",
        other: "",
    };

    /// The same form for every count (a site's override).
    pub fn always(form: &'static str) -> Plural {
        Plural {
            zero: form,
            one: form,
            two: form,
            few: form,
            many: form,
            other: form,
        }
    }

    /// The form for `category` (what the language's plural rules chose for the count), or `other` when
    /// the file has none, with `{n}` replaced by `count`.
    pub fn format(&self, category: &str, count: &str) -> String {
        let form = self.form(category).filter(|f| !f.is_empty());
        fill(form.unwrap_or(self.other), "{n}", count)
    }

    pub fn form(&self, category: &str) -> Option<&'static str> {
        let mut copy = *self;
        copy.form_mut(category).map(|form| *form)
    }

    fn form_mut(&mut self, category: &str) -> Option<&mut &'static str> {
        Some(match category {
            "zero" => &mut self.zero,
            "one" => &mut self.one,
            "two" => &mut self.two,
            "few" => &mut self.few,
            "many" => &mut self.many,
            "other" => &mut self.other,
            _ => return None,
        })
    }
}

/// `template` with `placeholder` (`"{time}"`, `"{email}"`, `"{n}"`) replaced by `value`. A byte scan
/// rather than `str::replace`, whose substring searcher is 2 KB of wasm.
pub fn fill(template: &str, placeholder: &str, value: &str) -> String {
    let (bytes, wanted) = (template.as_bytes(), placeholder.as_bytes());
    let mut out = String::with_capacity(template.len() + value.len());
    let (mut start, mut i) = (0, 0);
    while i + wanted.len() <= bytes.len() {
        // A placeholder starts with an ASCII `{`: `i` is then a character boundary.
        if bytes[i..].starts_with(wanted) {
            out.push_str(&template[start..i]);
            out.push_str(value);
            i += wanted.len();
            start = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&template[start..]);
    out
}

/// Where one key's word goes in [`Strings`].
enum Slot<'a> {
    Text(&'a mut &'static str),
    Plural(&'a mut Plural),
}

/// Declares [`Strings`] and its table of keys from one list, so the struct, the keys a language file
/// must have and the code that fills them from a file cannot disagree.
macro_rules! words {
    ($( $(#[$doc:meta])* $key:ident: $kind:ident, )*) => {
        /// Every string the widget shows or announces. Accessible names live here too, so a
        /// translation never leaves a control unnamed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Strings {
            /// The language's code (`"fr"`): its plural rules and its `lang` attribute.
            pub code: &'static str,
            $( $(#[$doc])* pub $key: words!(@type $kind), )*
        }

        /// The keys of a language file, in `en.json`'s order, and whether each is a plural.
        pub const KEYS: &[(&str, bool)] = &[$( (stringify!($key), words!(@plural $kind)), )*];

        impl Strings {
            /// Where the word of `KEYS[index]` goes. By index, not by name: a `match` on 52 names is
            /// 1 KB more of wasm than one on numbers.
            fn slot(&mut self, index: usize) -> Option<Slot<'_>> {
                let mut i = 0..;
                $( if i.next() == Some(index) { return Some(words!(@slot $kind, self.$key)); } )*
                None
            }
        }
    };
    (@type text) => { &'static str };
    (@type plural) => { Plural };
    (@plural text) => { false };
    (@plural plural) => { true };
    (@slot text, $place:expr) => { Slot::Text(&mut $place) };
    (@slot plural, $place:expr) => { Slot::Plural(&mut $place) };
}

words! {
    open_chat: text,
    close_chat: text,
    title: text,
    greeting: text,
    message: text,
    send: text,
    new_conversation: text,
    earlier_conversations: text,
    back: text,
    no_conversations: text,
    you: text,
    support: text,
    pending: text,
    failed_retry: text,
    unavailable: text,
    new_reply: text,
    /// After the launcher's name, in brackets: "Open chat (2 unread)".
    unread: plural,
    /// The composer cut a message at the server's limit (`text::MAX_MESSAGE_CHARS`).
    too_long: text,
    /// A chat's status on its list row.
    resolved: text,
    /// The divider of a chat an agent resolved: this, then the agent's name.
    resolved_by: text,
    you_ended: text,
    reopened: text,
    /// "You rated" + score + `of_five`.
    you_rated: text,
    /// After a score: " of 5" (a rating button's name is the score and this).
    of_five: text,
    /// After an agent's name.
    is_typing: text,
    seen: text,
    end_chat: text,
    end_confirm: text,
    end: text,
    cancel: text,
    rate_question: text,
    comment: text,
    send_rating: text,
    thanks: text,
    /// The composer's attach button.
    attach: text,
    /// A chip's remove button: this, then the file's name.
    remove: text,
    uploading: text,
    /// A file refused before upload: this, then the limit ("10 MB").
    file_too_large: text,
    file_type_refused: text,
    /// This, then the org's most files per message.
    too_many_files: text,
    file_empty: text,
    /// A chip whose upload waits for the connection to come back.
    waiting_online: text,
    /// A file chosen offline over what this device keeps for a reload (`held::HELD_MAX_BYTES`).
    retry_online: text,
    /// Inside office hours.
    replies_soon: text,
    /// Outside office hours; `{time}` is when the team is back.
    back_at: text,
    /// Outside office hours, with no opening in the coming fortnight.
    away: text,
    leave_email_prompt: text,
    /// The email field's label.
    your_email: text,
    save_email: text,
    /// `{email}` is the address the visitor left.
    email_saved: text,
    /// The address left for the reply is not one.
    email_invalid: text,
    suggested_questions: text,
    /// The page's title while the tab is hidden and replies are unread.
    unread_title: plural,
}

/// The English words, compiled in from `src/locales/en.json`: the fallback for a language whose file
/// cannot be had, and for any word a file lacks.
pub static ENGLISH: Strings = include!(concat!(env!("OUT_DIR"), "/english.rs"));

/// Words read from a file or an override live as long as the page: a language's file is read once
/// (`locale` keeps what it read), so this is bounded by the number of languages a page uses.
fn leak(text: &str) -> &'static str {
    Box::leak(text.to_owned().into_boxed_str())
}

impl Strings {
    /// The divider line of a chat's event ("Resolved by Ada", "You rated 4 of 5"); `None` for a text.
    pub fn event(
        &self,
        kind: MessageKind,
        author: &Author,
        name: Option<&str>,
        score: Option<u8>,
    ) -> Option<String> {
        let mut line = String::new();
        match (kind, author) {
            (MessageKind::Text | MessageKind::Greeting, _) => return None,
            (MessageKind::Resolved, Author::Agent) => {
                line.push_str(self.resolved_by);
                line.push_str(name.unwrap_or(self.support));
            }
            (MessageKind::Resolved, Author::Visitor) => line.push_str(self.you_ended),
            (MessageKind::Reopened, _) => line.push_str(self.reopened),
            (MessageKind::Rated, _) => {
                line.push_str(self.you_rated);
                line.push(char::from(b'0' + score.unwrap_or(0)));
                line.push_str(self.of_five);
            }
        }
        Some(line)
    }
}

impl Strings {
    /// The words of language `code` from its file (`file`, the parsed JSON), over English for any word
    /// the file lacks or gives in a shape not its own (a plural without an `other` form…). A slip costs a
    /// word, never the widget; the files shipped are held to `en.json` by this module's tests, so the
    /// widget carries no code to report one.
    pub fn from_file(code: &'static str, file: &Value) -> Strings {
        // Copied whole, then the code set: `Strings { code, ..ENGLISH }` copies field by field, 500 B of wasm.
        let mut words = ENGLISH;
        words.code = code;
        let Value::Object(entries) = file else {
            return words;
        };
        for (key, value) in entries {
            match (words.slot_of(key), value) {
                (Some(Slot::Text(slot)), Value::String(text)) => *slot = leak(text),
                (Some(Slot::Plural(slot)), Value::Object(forms)) => {
                    let mut plural = Plural::NONE;
                    for (category, form) in forms {
                        if let (Some(slot), Value::String(text)) = (plural.form_mut(category), form)
                        {
                            *slot = leak(text);
                        }
                    }
                    if !plural.other.is_empty() {
                        *slot = plural;
                    }
                }
                _ => {}
            }
        }
        words
    }

    /// These words with the site's own for some keys (the `translationOverrides` option, as `(key, text)`
    /// pairs, in order: of two for one key, the later wins). A plural's override is used for every count.
    /// An unknown key is ignored and named in the returned warnings (for one `console.warn`), so an
    /// override written for another widget's keys never stops this one.
    pub fn with_overrides<K: AsRef<str>, T: AsRef<str>>(
        &self,
        overrides: impl IntoIterator<Item = (K, T)>,
    ) -> (Strings, Vec<String>) {
        let mut words = *self;
        let mut unknown = Vec::new();
        for (key, text) in overrides {
            let (key, text) = (key.as_ref(), text.as_ref());
            match words.slot_of(key) {
                Some(Slot::Text(slot)) => *slot = leak(text),
                Some(Slot::Plural(slot)) => *slot = Plural::always(leak(text)),
                None => unknown.push(join(&[
                    "translationOverrides.",
                    key,
                    ": no such word; the keys are those of src/locales/en.json",
                ])),
            }
        }
        (words, unknown)
    }

    fn slot_of(&mut self, key: &str) -> Option<Slot<'_>> {
        let index = KEYS.iter().position(|(k, _)| *k == key)?;
        self.slot(index)
    }
}

/// `parts` one after the other (`concat` brings a generic join of 1 KB into the wasm).
pub fn join(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Language;
    use std::collections::BTreeSet;

    /// The CLDR plural categories (cardinal) of each language, as `Intl.PluralRules` reports them: a
    /// plural in a language's file has exactly these forms.
    const CATEGORIES: &[(&str, &[&str])] = &[
        ("en", &["one", "other"]),
        ("fr", &["one", "many", "other"]),
        ("de", &["one", "other"]),
        ("es", &["one", "many", "other"]),
        ("pt", &["one", "many", "other"]),
        ("it", &["one", "many", "other"]),
        ("nl", &["one", "other"]),
        ("pl", &["one", "few", "many", "other"]),
        ("tr", &["one", "other"]),
        ("ru", &["one", "few", "many", "other"]),
        ("uk", &["one", "few", "many", "other"]),
        ("ja", &["other"]),
        ("zh", &["other"]),
        ("ar", &["zero", "one", "two", "few", "many", "other"]),
        ("he", &["one", "two", "other"]),
        ("fa", &["one", "other"]),
    ];

    fn file(code: &str) -> serde_json::Value {
        let path = format!("{}/src/locales/{code}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// `{time}`, `{email}`, `{n}`: the names between braces.
    fn placeholders(text: &str) -> BTreeSet<String> {
        text.split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
            .collect()
    }

    fn words(code: &'static str) -> Strings {
        Strings::from_file(code, &crate::value::from_json(file(code)))
    }

    #[test]
    fn there_is_a_file_for_every_language_and_a_language_for_every_file() {
        let dir = format!("{}/src/locales", env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|entry| {
                let name = entry.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".json").map(str::to_owned)
            })
            .collect();
        files.sort();
        let mut codes: Vec<String> = Language::ALL.iter().map(|(c, _)| c.to_string()).collect();
        codes.sort();
        assert_eq!(files, codes);
        let categories: Vec<&str> = CATEGORIES.iter().map(|(code, _)| *code).collect();
        let all: Vec<&str> = Language::ALL.iter().map(|(code, _)| *code).collect();
        assert_eq!(categories, all);
        assert!(Language::ALL.len() >= 12);
    }

    #[test]
    fn english_is_compiled_from_its_file_and_has_every_key_in_order() {
        let english = file("en");
        let keys: Vec<&str> = english
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected: Vec<&str> = KEYS.iter().map(|(key, _)| *key).collect();
        // serde_json's map is sorted; the order of the file is checked by reading its lines.
        expected.sort();
        assert_eq!(keys, expected);
        let text = std::fs::read_to_string(format!(
            "{}/src/locales/en.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let in_file: Vec<&str> = text
            .lines()
            .filter_map(|line| {
                line.trim_start()
                    .strip_prefix('"')?
                    .split_once('"')
                    .map(|(k, _)| k)
            })
            .filter(|key| KEYS.iter().any(|(k, _)| k == key))
            .collect();
        assert_eq!(
            in_file,
            KEYS.iter().map(|(key, _)| *key).collect::<Vec<_>>(),
            "en.json follows the struct's order"
        );
        assert_eq!(words("en"), Strings { ..ENGLISH });
        assert_eq!(ENGLISH.open_chat, "Open chat");
        assert_eq!(ENGLISH.unread_title.format("one", "1"), "1 new message");
    }

    /// What a translator can get wrong: a key missing or extra, a placeholder lost or renamed, a plural
    /// without the forms its language needs (or with one it never uses).
    #[test]
    fn every_file_has_englishs_keys_placeholders_and_its_plural_forms() {
        let english = file("en");
        let english = english.as_object().unwrap();
        for (code, needed) in CATEGORIES {
            let words = file(code);
            let words = words
                .as_object()
                .unwrap_or_else(|| panic!("{code}: an object"));
            let keys: BTreeSet<&String> = words.keys().collect();
            assert_eq!(
                keys,
                english.keys().collect(),
                "{code}: the keys of en.json"
            );
            for (key, is_plural) in KEYS {
                let (value, original) = (&words[*key], &english[*key]);
                if !is_plural {
                    let text = value
                        .as_str()
                        .unwrap_or_else(|| panic!("{code}.{key}: a string"));
                    assert!(!text.trim().is_empty(), "{code}.{key}: empty");
                    assert_eq!(
                        placeholders(text),
                        placeholders(original.as_str().unwrap()),
                        "{code}.{key}: the placeholders of en.json"
                    );
                    continue;
                }
                let forms = value
                    .as_object()
                    .unwrap_or_else(|| panic!("{code}.{key}: an object of forms"));
                let categories: BTreeSet<&str> = forms.keys().map(String::as_str).collect();
                assert_eq!(
                    categories,
                    needed.iter().copied().collect(),
                    "{code}.{key}: the forms of {code}'s plural rules"
                );
                for (category, form) in forms {
                    let form = form
                        .as_str()
                        .unwrap_or_else(|| panic!("{code}.{key}.{category}: a string"));
                    assert!(!form.trim().is_empty(), "{code}.{key}.{category}: empty");
                    let names = placeholders(form);
                    // Arabic and Hebrew say "one message", "two messages" without the digit.
                    assert!(
                        names.iter().all(|n| n == "n"),
                        "{code}.{key}.{category}: only {{n}}"
                    );
                    if category == "other" {
                        assert!(names.contains("n"), "{code}.{key}.other shows the count");
                    }
                }
            }
        }
    }

    #[test]
    fn every_language_names_every_control_and_the_message_limit() {
        for (code, _) in Language::ALL {
            let s = words(code);
            assert_eq!(s.code, *code);
            for text in [
                s.open_chat,
                s.close_chat,
                s.message,
                s.send,
                s.new_conversation,
                s.back,
                s.end_chat,
                s.end,
                s.cancel,
                s.comment,
                s.send_rating,
                s.rate_question,
                s.attach,
                s.remove,
                s.uploading,
            ] {
                assert!(!text.trim().is_empty(), "{code}");
            }
            if *code != "en" {
                assert_ne!(s.open_chat, ENGLISH.open_chat, "{code} is translated");
            }
            let limit = crate::text::MAX_MESSAGE_CHARS.to_string();
            assert!(s.too_long.contains(&limit), "{code} names the limit");
            let rated = s
                .event(MessageKind::Rated, &Author::Visitor, None, Some(3))
                .unwrap();
            assert!(rated.contains('3') && rated.contains('5'), "{code}");
        }
    }

    #[test]
    fn a_plural_takes_the_form_of_its_category_or_other() {
        let russian = words("ru");
        let forms: Vec<String> = ["one", "few", "many"]
            .iter()
            .map(|c| russian.unread_title.format(c, "5"))
            .collect();
        assert_eq!(
            forms,
            [
                "5 новое сообщение",
                "5 новых сообщения",
                "5 новых сообщений"
            ]
        );
        let japanese = words("ja");
        assert_eq!(
            japanese.unread_title.format("one", "1"),
            "新着メッセージ 1 件",
            "a category the file lacks reads as other"
        );
        assert_eq!(
            words("ar").unread_title.format("two", "2"),
            "رسالتان جديدتان"
        );
        assert_eq!(ENGLISH.unread.format("nonsense", "7"), "7 unread");
        assert_eq!(fill("{n}/{n} {m} é{n}", "{n}", "12"), "12/12 {m} é12");
        assert_eq!(fill("{n", "{n}", "1"), "{n");
        assert_eq!(
            fill(ENGLISH.back_at, "{time}", "at 09:00"),
            "We're away. Back at 09:00"
        );
        assert_eq!(
            fill(ENGLISH.email_saved, "{email}", "a@b.c"),
            "We'll reply to a@b.c"
        );
    }

    #[test]
    fn a_file_with_mistakes_keeps_english_for_what_it_cannot_use() {
        let file = crate::value::from_json(serde_json::json!({
            "send": "Envoyer",
            "sendd": "typo",
            "title": 3,
            "unread": { "one": "{n} non lu", "other": "{n} non lus", "lots": "?" },
            "unread_title": { "one": "{n} nouveau" }
        }));
        let words = Strings::from_file("fr", &file);
        assert_eq!(words.send, "Envoyer");
        assert_eq!(words.title, ENGLISH.title);
        assert_eq!(words.unread.format("one", "1"), "1 non lu");
        assert_eq!(
            words.unread_title, ENGLISH.unread_title,
            "a plural without other stays English"
        );
        assert_eq!(words.code, "fr");
        let words = Strings::from_file("fr", &Value::String("x".into()));
        assert_eq!(
            words,
            Strings {
                code: "fr",
                ..ENGLISH
            }
        );
    }

    #[test]
    fn overrides_replace_known_words_and_name_unknown_keys() {
        let overrides = [
            ("send".to_owned(), "Send it".to_owned()),
            ("unread_title".to_owned(), "New!".to_owned()),
            ("headerTitle".to_owned(), "x".to_owned()),
            ("send".to_owned(), "Go".to_owned()),
        ];
        let (words, unknown) = ENGLISH.with_overrides(overrides.iter().map(|(k, t)| (k, t)));
        assert_eq!(words.send, "Go");
        assert_eq!(words.unread_title.format("one", "1"), "New!");
        assert_eq!(words.unread_title.format("other", "4"), "New!");
        assert_eq!(words.title, ENGLISH.title);
        assert_eq!(
            unknown,
            ["translationOverrides.headerTitle: no such word; the keys are those of src/locales/en.json"]
        );
    }

    #[test]
    fn events_read_as_dividers() {
        let s = &ENGLISH;
        let line = |kind, author, name, score| s.event(kind, &author, name, score);
        assert_eq!(
            line(MessageKind::Resolved, Author::Agent, Some("Ada"), None).as_deref(),
            Some("Resolved by Ada")
        );
        assert_eq!(
            line(MessageKind::Resolved, Author::Agent, None, None).as_deref(),
            Some("Resolved by Support")
        );
        assert_eq!(
            line(MessageKind::Resolved, Author::Visitor, None, None).as_deref(),
            Some("You ended the chat")
        );
        assert_eq!(
            line(MessageKind::Reopened, Author::Visitor, None, None).as_deref(),
            Some("Reopened")
        );
        assert_eq!(
            line(MessageKind::Rated, Author::Visitor, None, Some(4)).as_deref(),
            Some("You rated 4 of 5")
        );
        assert_eq!(
            line(MessageKind::Text, Author::Agent, Some("Ada"), None),
            None
        );
    }
}
