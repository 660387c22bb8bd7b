//! A language's words, fetched when they are wanted, and the plural rules the browser knows.
//!
//! English is compiled in ([`crate::i18n::ENGLISH`]); every other language's file is a static JSON file
//! shipped beside the wasm, so a visitor downloads the words of one language, not of all of them.
//! Where the files are: the script tag's folder (`<folder>/locales/<code>.json`, what `dist/web` serves),
//! or for the npm package a loader `npm/index.js` registers ([`set_loader`]), which imports
//! `locales/<code>.js` so that a bundler ships the files. A file that cannot be had leaves the widget in
//! English, with one warning in the console.

use crate::config::Language;
use crate::i18n::{Plural, Strings, ENGLISH};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Where the language files are.
pub enum Source {
    /// The script tag's folder (no trailing slash): files at `<folder>/locales/<code>.json`.
    Folder(String),
    /// `code => Promise<words>`, registered by the npm package.
    Loader(js_sys::Function),
}

thread_local! {
    static SOURCE: RefCell<Option<Source>> = const { RefCell::new(None) };
    /// The words of each language read so far: a file is fetched (and its words kept) once a page.
    static LOADED: RefCell<Vec<(Language, &'static Strings)>> = const { RefCell::new(Vec::new()) };
    /// `Intl.PluralRules` of the last language asked: building one loads ICU data.
    static RULES: RefCell<Option<(&'static str, js_sys::Intl::PluralRules)>> = const { RefCell::new(None) };
}

pub fn set_source(source: Source) {
    SOURCE.set(Some(source));
}

/// The npm package's loader of a language's words (`npm/index.js`): `code => Promise<object>`.
pub fn set_loader(loader: js_sys::Function) {
    set_source(Source::Loader(loader));
}

/// The words of `language`: English at once, any other from its file (once a page). When the file
/// cannot be had (no network, a server without it, a broken file), English, and the console says why.
pub async fn load(language: Language) -> &'static Strings {
    if language == Language::English {
        return &ENGLISH;
    }
    if let Some(words) = LOADED.with_borrow(|loaded| {
        loaded
            .iter()
            .find(|(l, _)| *l == language)
            .map(|(_, words)| *words)
    }) {
        return words;
    }
    let code = language.code();
    match fetch(code).await {
        Ok(value) => {
            let (words, problems) = Strings::from_file(code, &crate::js::to_response_value(&value));
            for problem in problems {
                web_sys::console::warn_1(&format!("Frontdesk: locales/{problem}").into());
            }
            let words: &'static Strings = Box::leak(Box::new(words));
            LOADED.with_borrow_mut(|loaded| loaded.push((language, words)));
            words
        }
        Err(reason) => {
            web_sys::console::warn_1(
                &format!("Frontdesk: could not load the words for \"{code}\" ({reason}); showing English").into(),
            );
            &ENGLISH
        }
    }
}

/// The parsed file of `code`, or why not.
async fn fetch(code: &str) -> Result<JsValue, String> {
    let describe = |e: JsValue| crate::js::describe(&e);
    let loaded = SOURCE.with_borrow(|source| match source {
        Some(Source::Folder(folder)) => Ok(Err(format!("{folder}/locales/{code}.json"))),
        Some(Source::Loader(loader)) => loader
            .call1(&JsValue::NULL, &code.into())
            .map(|p| Ok(js_sys::Promise::resolve(&p)))
            .map_err(describe),
        None => Err("the widget was not loaded from a folder with its language files".to_owned()),
    })?;
    let value = match loaded {
        Ok(promise) => JsFuture::from(promise).await.map_err(describe)?,
        Err(url) => {
            let response: web_sys::Response = JsFuture::from(fetch_url(&url))
                .await
                .map_err(describe)?
                .unchecked_into();
            if !response.ok() {
                return Err(format!(
                    "HTTP {} from {url}",
                    crate::text::decimal(response.status().into())
                ));
            }
            JsFuture::from(response.json().map_err(describe)?)
                .await
                .map_err(|e| format!("{url}: {}", describe(e)))?
        }
    };
    if value.is_object() {
        Ok(value)
    } else {
        Err("the file is not a JSON object".into())
    }
}

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`.
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_url(url: &str) -> js_sys::Promise;
}

/// `plural`'s form for `count`, by the browser's plural rules for `code` (`Intl.PluralRules`).
pub fn count(plural: &Plural, code: &'static str, count: u32, shown: &str) -> String {
    let category = RULES.with_borrow_mut(|rules| {
        let fresh = !matches!(rules, Some((c, _)) if *c == code);
        if fresh {
            let locales = js_sys::Array::of1(&code.into());
            *rules = Some((
                code,
                js_sys::Intl::PluralRules::new(&locales, &js_sys::Object::new()),
            ));
        }
        // Unreachable: `rules` was just set.
        let (_, rules) = rules.as_ref().unwrap_throw();
        String::from(rules.select(count.into()))
    });
    plural.format(&category, shown)
}
