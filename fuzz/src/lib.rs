//! Helpers the fuzz targets share: turning fuzzer input into the widget's `Value` tree.

use frontdesk::value::Value;

/// A string with this text stands for a JavaScript function (JSON has none), so the fuzzer can reach the
/// options parser's function branches (`user.token` may be one).
pub const FUNCTION_MARKER: &str = "\u{0}function";

/// The `Value` the widget's boundary would build from the same JavaScript value.
pub fn value_from_json(json: serde_json::Value) -> Value {
    convert(json, false)
}

/// As [`value_from_json`], with [`FUNCTION_MARKER`] strings read as functions.
pub fn options_from_json(json: serde_json::Value) -> Value {
    convert(json, true)
}

fn convert(json: serde_json::Value, functions: bool) -> Value {
    let recurse = |json| convert(json, functions);
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Number(n.to_string()),
        serde_json::Value::String(s) if functions && s == FUNCTION_MARKER => Value::Function,
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(items) => {
            Value::Array(items.into_iter().map(recurse).collect())
        }
        serde_json::Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, recurse(v)))
                .collect(),
        ),
    }
}
