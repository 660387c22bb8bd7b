//! The widget's JSON encoder (`Value::to_json`) against a real JSON parser: whatever it writes parses, and
//! parses back to the same value (numbers compared by value, as JSON means them).
#![no_main]

use arbitrary::Arbitrary;
use frontdesk::value::Value;
use frontdesk_fuzz::value_from_json;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Node {
    fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => Value::Number(i.to_string()),
            // As JavaScript prints numbers: the shortest text that reads back as the same double.
            Node::Float(f) if f.is_finite() => Value::Number(format!("{f:?}")),
            Node::Float(_) => Value::Null,
            Node::Text(s) => Value::String(s.clone()),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(entries) => {
                // JavaScript objects have unique keys; the first wins, as in a literal read left to right.
                let mut seen = std::collections::HashSet::new();
                Value::Object(
                    entries
                        .iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .map(|(k, v)| (k.clone(), v.to_value()))
                        .collect(),
                )
            }
        }
    }
}

fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(entries) => 1 + entries.iter().map(|(_, v)| depth(v)).max().unwrap_or(0),
        _ => 0,
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.parse::<f64>().ok() == y.parse::<f64>().ok(),
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same(x, y))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs.iter().zip(ys).all(|((kx, x), (ky, y))| kx == ky && same(x, y))
        }
        _ => a == b,
    }
}

fuzz_target!(|node: Node| {
    let value = node.to_value();
    // serde_json refuses nesting deeper than 128; the widget's boundary stops far earlier.
    if depth(&value) > 100 {
        return;
    }
    let text = value.to_json().expect("a JSON-shaped value always encodes");
    let parsed: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the encoder wrote invalid JSON ({e}): {text}"));
    let back = value_from_json(parsed);
    assert!(same(&value, &back), "{value:?} came back as {back:?}");
});
