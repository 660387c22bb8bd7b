//! The options parser (`init(options)` → `Config`) on any JSON-shaped value: it never panics, and every
//! refusal names the option it is about.
#![no_main]

use frontdesk_fuzz::options_from_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let options = options_from_json(json);
    if let Err(error) = frontdesk::config::parse(&options) {
        let message = error.to_string();
        assert!(!message.is_empty(), "an empty error message for {options:?}");
    }
});
