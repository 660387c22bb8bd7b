//! A plain-Rust copy of the JavaScript value handed to `init`.
//!
//! The boundary (`lib.rs`) walks the `JsValue` once and builds this tree; everything after that
//! (validation, JSON encoding for the wire) is pure Rust and runs under a native `cargo test`.

/// One JavaScript value, as far as options can hold one.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `undefined` and `null`: an option given as `undefined` is treated as absent.
    Null,
    Bool(bool),
    /// The number as JavaScript prints it (`String(n)`), which is also its JSON text. Kept as text
    /// because formatting floats in Rust pulls kilobytes of formatting code into the wasm.
    Number(String),
    String(String),
    Array(Vec<Value>),
    /// Keys in the page's order: a JSON re-encoding keeps the order the site owner wrote.
    Object(Vec<(String, Value)>),
    /// A function (only `user.token` may be one).
    Function,
    /// Anything else JavaScript has (a DOM node, a symbol, a bigint…): never valid in options.
    Other(&'static str),
}

impl Value {
    /// The type name used in error messages, in JavaScript's words.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
            Value::Function => "a function",
            Value::Other(kind) => kind,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries
                .iter()
                .find(|(k, v)| k == key && !matches!(v, Value::Null))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// JSON text of the value; `None` when it holds something JSON cannot (a function, a non-finite
    /// number, a DOM node).
    pub fn to_json(&self) -> Option<String> {
        let mut out = String::new();
        self.write_json(&mut out).then_some(out)
    }

    fn write_json(&self, out: &mut String) -> bool {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(text) => {
                if !is_finite_number_text(text) {
                    return false;
                }
                out.push_str(text)
            }
            Value::String(s) => write_json_string(s, out),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if !item.write_json(out) {
                        return false;
                    }
                }
                out.push(']');
            }
            Value::Object(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(key, out);
                    out.push(':');
                    if !value.write_json(out) {
                        return false;
                    }
                }
                out.push('}');
            }
            Value::Function | Value::Other(_) => return false,
        }
        true
    }
}

fn is_finite_number_text(text: &str) -> bool {
    !text.is_empty() && !matches!(text, "NaN" | "Infinity" | "-Infinity")
}

pub fn write_json_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The tree the boundary builds from the same JSON: for native tests of the pure modules.
#[cfg(test)]
pub(crate) fn from_json(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Number(n.to_string()),
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(items) => Value::Array(items.into_iter().map(from_json).collect()),
        serde_json::Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, from_json(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_nested_json_in_key_order() {
        let value = Value::Object(vec![
            ("plan".into(), Value::String("pro \"x\"\n".into())),
            ("seats".into(), Value::Number("3".into())),
            (
                "tags".into(),
                Value::Array(vec![Value::Bool(true), Value::Null]),
            ),
        ]);
        assert_eq!(
            value.to_json().unwrap(),
            r#"{"plan":"pro \"x\"\n","seats":3,"tags":[true,null]}"#
        );
    }

    #[test]
    fn refuses_what_json_cannot_hold() {
        assert_eq!(Value::Number("NaN".into()).to_json(), None);
        assert_eq!(Value::Array(vec![Value::Function]).to_json(), None);
        assert_eq!(Value::Other("a DOM node").to_json(), None);
    }

    #[test]
    fn escapes_control_characters() {
        let mut out = String::new();
        write_json_string("a\u{1}b", &mut out);
        assert_eq!(out, "\"a\\u0001b\"");
    }

    #[test]
    fn get_treats_null_as_absent() {
        let value = Value::Object(vec![("a".into(), Value::Null)]);
        assert_eq!(value.get("a"), None);
    }
}
