//! The tone of a new reply (`sound: true`): a short sine made with Web Audio, no file to fetch.
//!
//! Browsers let a page start sound only after the visitor interacted with it (their autoplay rule), and an
//! `AudioContext` made before that stays suspended and warns in the console. So the tone plays only once
//! `navigator.userActivation.hasBeenActive` is true (where a browser lacks it: never), and every failure is
//! silent: a missing tone is not worth an error on the page.

use std::cell::RefCell;
use wasm_bindgen::JsValue;
use web_sys::AudioContext;

thread_local! {
    /// One context for the page's lifetime: browsers cap how many a page may open.
    static CONTEXT: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
}

pub fn chime() {
    if !has_been_active() {
        return;
    }
    // Deliberately ignored: see the module's comment.
    let _ = CONTEXT.with(|context| play(&mut context.borrow_mut()));
}

fn has_been_active() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    js_sys::Reflect::get(&window.navigator(), &"userActivation".into())
        .and_then(|activation| js_sys::Reflect::get(&activation, &"hasBeenActive".into()))
        .is_ok_and(|active| active.is_truthy())
}

fn play(context: &mut Option<AudioContext>) -> Result<(), JsValue> {
    if context.is_none() {
        *context = Some(AudioContext::new()?);
    }
    let Some(context) = context.as_ref() else {
        return Ok(());
    };
    let oscillator = context.create_oscillator()?;
    let gain = context.create_gain()?;
    let start = context.current_time();
    oscillator.frequency().set_value(880.0);
    gain.gain().set_value_at_time(0.08, start)?;
    gain.gain()
        .exponential_ramp_to_value_at_time(0.0001, start + 0.3)?;
    oscillator.connect_with_audio_node(&gain)?;
    gain.connect_with_audio_node(&context.destination())?;
    oscillator.start()?;
    oscillator.stop_with_when(start + 0.3)?;
    Ok(())
}
