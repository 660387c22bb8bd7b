//! The widget's in-browser suite (`wasm-pack test --headless --chrome`): one binary, a module per feature.
//! Browser-only: under a native `cargo test` this binary is empty.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

mod composer;
mod init;
mod live;
mod support;
