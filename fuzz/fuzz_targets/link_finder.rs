//! The message-text link finder on any text: the runs put back together are the text, and a link is
//! always an http(s) URL with something after the scheme and no whitespace or markup characters in it.
#![no_main]

use frontdesk::text::{runs, Run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut rebuilt = String::new();
    for run in runs(text) {
        match run {
            Run::Text(part) => rebuilt.push_str(part),
            Run::Link(link) => {
                let rest = link
                    .strip_prefix("https://")
                    .or_else(|| link.strip_prefix("http://"))
                    .expect("a link that is not http(s)");
                assert!(!rest.is_empty(), "a link with nothing after its scheme");
                assert!(
                    !link.contains(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"')),
                    "a link holding whitespace or markup: {link:?}"
                );
                rebuilt.push_str(link);
            }
        }
    }
    assert_eq!(rebuilt, text, "the runs lost or added text");
});
