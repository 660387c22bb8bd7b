//! JavaScript values in, JavaScript errors out: the conversions of the wasm boundary.

use crate::value::Value;
use wasm_bindgen::{JsCast, JsValue};

/// Deep enough for any real `customData`, shallow enough that a cyclic object ends quickly.
const MAX_DEPTH: usize = 16;
/// Stops a page from making the widget walk a huge object before the size check refuses it.
const MAX_NODES: usize = 5_000;

/// Copies a JavaScript value into a [`Value`] tree.
pub fn to_value(value: &JsValue) -> Value {
    let mut budget = MAX_NODES;
    convert(value, 0, &mut budget)
}

fn convert(value: &JsValue, depth: usize, budget: &mut usize) -> Value {
    if *budget == 0 {
        return Value::Other("an object too large");
    }
    *budget -= 1;
    if value.is_undefined() || value.is_null() {
        return Value::Null;
    }
    if let Some(b) = value.as_bool() {
        return Value::Bool(b);
    }
    if let Some(s) = value.as_string() {
        return Value::String(s);
    }
    if value.as_f64().is_some() {
        let text = js_sys::Number::unchecked_from_js_ref(value)
            .to_string_with_radix(10)
            .map(String::from)
            .unwrap_or_default();
        return Value::Number(text);
    }
    if value.is_function() {
        return Value::Function;
    }
    if depth >= MAX_DEPTH {
        return Value::Other("a structure nested too deeply (or cyclic)");
    }
    if js_sys::Array::is_array(value) {
        let array: &js_sys::Array = value.unchecked_ref();
        return Value::Array(
            array
                .iter()
                .map(|v| convert(&v, depth + 1, budget))
                .collect(),
        );
    }
    if value.is_object() {
        let object: &js_sys::Object = value.unchecked_ref();
        if !is_plain(object) {
            return Value::Other("an object that is not plain (a class instance or DOM node)");
        }
        let entries = js_sys::Object::entries(object)
            .iter()
            .map(|entry| {
                let pair: js_sys::Array = entry.unchecked_into();
                let key = pair.get(0).as_string().unwrap_or_default();
                (key, convert(&pair.get(1), depth + 1, budget))
            })
            .collect();
        return Value::Object(entries);
    }
    Value::Other("a symbol or bigint")
}

/// `{…}` and `Object.create(null)`, not a `Date`, a `Map` or a DOM node.
fn is_plain(object: &js_sys::Object) -> bool {
    let proto = js_sys::Object::get_prototype_of(object);
    proto.is_null() || js_sys::Object::get_prototype_of(&proto).is_null()
}

/// The error the Promise of `init` rejects with: a real `Error`, so the console shows its message and stack.
pub fn error(message: &str) -> JsValue {
    js_sys::Error::new(message).into()
}
