//! The browser entry point: `hydrate()` only. The site runs in Leptos islands
//! mode (see `app::hydrate_islands`), so this wasm carries just the islands.
#![forbid(unsafe_code)]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::hydrate_islands();
}
