//! Times as the visitor reads them: in the browser's locale when it is the widget's language, else the
//! widget's language's (`config::Language::date_locale`).

use std::cell::OnceCell;
use wasm_bindgen::{JsValue, UnwrapThrowExt};

/// `Intl.DateTimeFormat(...).format`, built once, on first use: building one per message was a fifth of
/// the time it took to open a 1,000-message chat, and building them at start-up was a quarter of it
/// (ICU loads its data), for visitors who may never open the panel.
pub struct Clock {
    locale: String,
    time_format: OnceCell<js_sys::Function>,
    date_time_format: OnceCell<js_sys::Function>,
}

impl Clock {
    pub fn new(locale: &str) -> Clock {
        Clock {
            locale: locale.to_owned(),
            time_format: OnceCell::new(),
            date_time_format: OnceCell::new(),
        }
    }

    /// `iso` as hours and minutes (and the day, `with_date`); empty when it is not a date.
    pub fn format(&self, iso: &str, with_date: bool) -> String {
        let date = js_sys::Date::new(&JsValue::from_str(iso));
        if date.get_time().is_nan() {
            return String::new();
        }
        let format = if with_date {
            &self.date_time_format
        } else {
            &self.time_format
        }
        .get_or_init(|| date_formatter(&self.locale, with_date));
        // Unreachable: `format` of a valid date does not throw.
        format
            .call1(&JsValue::NULL, &date)
            .unwrap_throw()
            .as_string()
            .unwrap_or_default()
    }
}

/// The bound `format` of an `Intl.DateTimeFormat` for `locale`: hours and minutes, and the day when asked.
fn date_formatter(locale: &str, with_date: bool) -> js_sys::Function {
    let options = js_sys::Object::new();
    // Unreachable: a plain object takes any property.
    let set = |k: &str, v: &str| {
        js_sys::Reflect::set(&options, &k.into(), &v.into()).unwrap_throw();
    };
    set("hour", "2-digit");
    set("minute", "2-digit");
    if with_date {
        set("month", "short");
        set("day", "numeric");
    }
    js_sys::Intl::DateTimeFormat::new(&js_sys::Array::of1(&locale.into()), &options).format()
}
