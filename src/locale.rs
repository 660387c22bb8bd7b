//! A language's words, loaded when they are wanted, and the plural rules the browser knows.
//!
//! English is compiled in ([`crate::i18n::ENGLISH`]); every other language's words are a file shipped
//! beside the wasm, so a visitor downloads the words of one language, not of all of them. The embed
//! registers how to get one ([`set_loader`], `code => Promise<words>`): the script-tag loader fetches
//! `locales/<code>.json` from its own folder (`www/widget.js`), the npm package imports
//! `locales/<code>.js`, which a bundler ships (`npm/index.js`). Words that cannot be had leave the widget
//! in English, with one warning in the console.

use crate::config::Language;
use crate::i18n::{Plural, Strings, ENGLISH};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

thread_local! {
    static LOADER: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

/// How the embed gets a language's words: `code => Promise<object>`.
pub fn set_loader(loader: js_sys::Function) {
    LOADER.set(Some(loader));
}

/// The words of `language`: English at once, any other from its file. When the file cannot be had (no
/// network, a server without it, not JSON), English, and the console says why. The words live as long
/// as the page: a few KB each time a page changes language (kept in no table, which costs wasm).
pub async fn load(language: Language) -> &'static Strings {
    if language == Language::English {
        return &ENGLISH;
    }
    let code = language.code();
    let file = match LOADER.with_borrow(|loader| {
        loader
            .as_ref()
            .map(|f| f.call1(&JsValue::NULL, &code.into()))
    }) {
        Some(Ok(promise)) => JsFuture::from(js_sys::Promise::resolve(&promise)).await,
        Some(Err(error)) => Err(error),
        None => Err("the embed registered no way to load them".into()),
    };
    let reason = match file {
        Ok(file) if file.is_object() => {
            let words = Strings::from_file(code, &crate::js::to_response_value(&file));
            return Box::leak(Box::new(words));
        }
        Ok(_) => "not a JSON object".to_owned(),
        Err(error) => crate::js::describe(&error),
    };
    warn(&crate::i18n::join(&[
        "could not load the words for \"",
        code,
        "\" (",
        &reason,
        "); showing English",
    ]));
    &ENGLISH
}

fn warn(text: &str) {
    web_sys::console::warn_1(&crate::i18n::join(&["Frontdesk: ", text]).into());
}

/// `plural`'s form for `count` (written `shown`), by the browser's plural rules for `code`
/// (`Intl.PluralRules`). Built per call: the count changes seldom, and only the launcher's name asks.
pub fn count(plural: &Plural, code: &str, count: u32, shown: &str) -> String {
    let rules =
        js_sys::Intl::PluralRules::new(&js_sys::Array::of1(&code.into()), &js_sys::Object::new());
    plural.format(&String::from(rules.select(count.into())), shown)
}
