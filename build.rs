//! Compacts `src/style.css` into the widget: comments and the whitespace that only helps a reader go
//! (about 120 bytes of gzipped wasm). Only spaces that never separate anything are removed: after `{`,
//! `;`, `:`, `,` and before `{`, `}`, so selectors (`.a .b`, `.a + .b`, `:not(…)`) keep their meaning.
//!
//! And turns `src/locales/en.json`, the English words a translator edits, into the Rust value of
//! `i18n::ENGLISH`: English is compiled in (the fallback, there before any file could load), and the wasm
//! carries no parser for it.

use std::{env, fs, path::Path};

fn main() {
    println!("cargo::rerun-if-changed=src/style.css");
    let css = fs::read_to_string("src/style.css").expect("src/style.css is readable");
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("style.css");
    fs::write(out, compact(&css)).expect("OUT_DIR is writable");

    println!("cargo::rerun-if-changed=src/locales/en.json");
    let english =
        fs::read_to_string("src/locales/en.json").expect("src/locales/en.json is readable");
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("english.rs");
    fs::write(out, english_strings(&english)).expect("OUT_DIR is writable");
}

/// `en.json` as a `Strings { … }` expression: a string is a word, an object a plural's forms by CLDR
/// category. Its keys are checked against the struct by the compiler (a missing or unknown one fails
/// the build) and by `i18n`'s tests.
fn english_strings(json: &str) -> String {
    let words: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(json).expect("src/locales/en.json is a JSON object");
    let mut out = String::from("Strings {\n    code: \"en\",\n");
    for (key, value) in &words {
        match value {
            serde_json::Value::String(text) => out.push_str(&format!("    {key}: {text:?},\n")),
            serde_json::Value::Object(forms) => {
                out.push_str(&format!("    {key}: Plural {{\n"));
                for (category, form) in forms {
                    let form = form.as_str().expect("a plural's forms are strings");
                    out.push_str(&format!("        {category}: {form:?},\n"));
                }
                out.push_str("        ..Plural::NONE\n    },\n");
            }
            other => panic!("src/locales/en.json: {key} is {other}, not a string or a plural"),
        }
    }
    out.push('}');
    out
}

fn compact(css: &str) -> String {
    let mut without_comments = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        without_comments.push_str(&rest[..start]);
        let end = rest[start..]
            .find("*/")
            .expect("every CSS comment is closed");
        rest = &rest[start + end + 2..];
    }
    without_comments.push_str(rest);
    let mut out = String::with_capacity(without_comments.len());
    for word in without_comments.split_whitespace() {
        let glued = out.ends_with(['{', '}', ';', ':', ',']) || word.starts_with(['{', '}']);
        if !out.is_empty() && !glued {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.replace(";}", "}")
}
