//! WebAuthn in the browser, for islands: the server's options in, the
//! authenticator's answer out, both as WebAuthn's own JSON
//! (`PublicKeyCredential.parseCreationOptionsFromJSON`, `toJSON()`), which
//! webauthn-rs reads and writes on the server, so no field is converted
//! here by hand. Knows nothing of who asks (staff passkeys,
//! `backoffice::two_factor::passkeys`).

/// Whether this browser has WebAuthn with its JSON helpers.
pub fn supports_passkeys() -> bool {
    #[cfg(feature = "hydrate")]
    {
        use js_sys::Reflect;
        let Ok(class) = Reflect::get(&js_sys::global(), &"PublicKeyCredential".into()) else {
            return false;
        };
        !class.is_undefined()
            && Reflect::get(&class, &"parseCreationOptionsFromJSON".into())
                .map(|f| f.is_function())
                .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// `navigator.credentials.create()` (`create`) or `.get()` with the
/// server's options; the answer as JSON, or what the browser said.
#[cfg(feature = "hydrate")]
pub async fn ask_authenticator(options: &str, create: bool) -> Result<String, String> {
    use js_sys::{Function, Object, Reflect, JSON};
    use wasm_bindgen::{JsCast, JsValue};
    let shown = |e: JsValue| {
        Reflect::get(&e, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| format!("{e:?}"))
    };
    let method = |on: &JsValue, name: &str| -> Result<Function, String> {
        Reflect::get(on, &name.into())
            .map_err(shown)?
            .dyn_into::<Function>()
            .map_err(|_| format!("no {name}"))
    };
    let options = JSON::parse(options).map_err(shown)?;
    let public_key = Reflect::get(&options, &"publicKey".into()).map_err(shown)?;
    let class = Reflect::get(&js_sys::global(), &"PublicKeyCredential".into()).map_err(shown)?;
    let (parse, call) = if create {
        ("parseCreationOptionsFromJSON", "create")
    } else {
        ("parseRequestOptionsFromJSON", "get")
    };
    let parsed = method(&class, parse)?
        .call1(&class, &public_key)
        .map_err(shown)?;
    let request = Object::new();
    Reflect::set(&request, &"publicKey".into(), &parsed).map_err(shown)?;
    let navigator = Reflect::get(&leptos::prelude::window(), &"navigator".into()).map_err(shown)?;
    let credentials = Reflect::get(&navigator, &"credentials".into()).map_err(shown)?;
    let promise: js_sys::Promise = method(&credentials, call)?
        .call1(&credentials, &request)
        .map_err(shown)?
        .dyn_into()
        .map_err(|_| "no promise".to_owned())?;
    let credential = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(shown)?;
    let json = method(&credential, "toJSON")?
        .call0(&credential)
        .map_err(shown)?;
    JSON::stringify(&json)
        .map_err(shown)?
        .as_string()
        .ok_or_else(|| "no answer".to_owned())
}
