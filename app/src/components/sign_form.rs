//! The signing form. Without JavaScript it is a plain POST to the server
//! function, and the page it redirects to shows the outcome from a flash
//! cookie (`values`, `outcome`). As an island it posts the same fields to the same
//! server function with `fetch` and shows the outcome without leaving the
//! page; what the signer typed stays in the fields.
//!
//! Not an `ActionForm`: that brings the whole server-function client and a
//! query-string deserializer into the browser bundle (measured in
//! BENCHMARKS.md), to do what one `fetch` of the form's own fields does.
use super::ServerOnly;
use crate::i18n::Locale;
use crate::signing::form::{SignField, SignFormValues, SignResult};
use crate::signing::SignSupportAction;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[island]
pub fn SignForm(
    locale: Locale,
    action: ServerOnly<String>,
    /// What the signer posted without JavaScript, shown again in the fields.
    values: ServerOnly<SignFormValues>,
    /// The outcome of that plain form post, if the signer just made one.
    outcome: Option<SignResult>,
    /// The country `<select>`, rendered on the server: 250 options are not
    /// worth shipping to the browser a second time as island data.
    children: Children,
) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let ServerOnly(values) = values;
    let result = RwSignal::new(outcome);
    // A refusal by the guards (rate limit, Origin), in words the server chose.
    let refusal = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        #[cfg(feature = "hydrate")]
        {
            let Some(form) = super::submitted_form(&ev) else {
                return;
            };
            leptos::task::spawn_local(async move {
                match post(&form).await {
                    Ok(Ok(answer)) => {
                        refusal.set(None);
                        result.set(Some(answer));
                    }
                    Ok(Err(message)) => refusal.set(Some(message)),
                    Err(_) => result.set(Some(SignResult::Failed)),
                }
                pending.set(false);
            });
        }
    };
    let accepted = move || result.get() == Some(SignResult::Accepted);
    let error_of = move |field: SignField| {
        move || {
            result
                .get()
                .and_then(|r| r.error_for(field).map(|key| locale.t(key)))
        }
    };
    let invalid = move |field: SignField| move || error_of(field)().is_some().then_some("true");
    let described = move |field: SignField, hint: Option<&'static str>| {
        move || {
            let mut ids = Vec::new();
            if let Some(hint) = hint {
                ids.push(hint.to_owned());
            }
            if error_of(field)().is_some() {
                ids.push(format!("{}-error", field.control()));
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let error_view = move |field: SignField| {
        move || {
            error_of(field)().map(|message| {
                view! {
                    <p class="field-error" id=format!("{}-error", field.control())>
                        {message}
                    </p>
                }
            })
        }
    };
    // One paragraph, whatever the problem: one view type in the bundle.
    let problem = move || {
        refusal.get().or_else(|| match result.get()? {
            SignResult::Invalid(errors) => Some(locale.t(if errors.len() == 1 {
                "sign.fix_one"
            } else {
                "sign.fix_other"
            })),
            SignResult::NotOpen => Some(locale.t("sign.not_open")),
            SignResult::Failed => Some(locale.t("sign.failed")),
            SignResult::Accepted => None,
        })
    };
    let summary = move || {
        problem().map(|text| {
            view! {
                <p class="form-problem" role="alert">
                    {text}
                </p>
            }
        })
    };
    let ticked = |value: &str| SignFormValues::ticked(value);
    const SIGN_PATH: &str = <SignSupportAction as ServerFn>::PATH;

    view! {
        <section
            class="sign"
            id="sign"
            aria-labelledby="sign-heading"
            data-hydrated=move || hydrated.get().to_string()
        >
            <h2 id="sign-heading">{locale.t_static("sign.heading")}</h2>
            <div class="sign-accepted" role="status" aria-live="polite" hidden=move || !accepted()>
                <p class="accepted-title">
                    <strong>{locale.t_static("sign.accepted_title")}</strong>
                </p>
                <p>{locale.t_static("sign.accepted_text")}</p>
            </div>
            <div hidden=accepted>
                {summary}
                <form
                    method="post"
                    action=SIGN_PATH
                    class="sign-form"
                    novalidate
                    on:submit=on_submit
                >
                    <input type="hidden" name="support_action" value=action.0 />
                    <input type="hidden" name="lang" value=locale.code() />
                    <p class="required-note">{locale.t_static("sign.required_note")}</p>
                    <div class="field">
                        <label for="full_name">
                            {locale.t_static("sign.full_name")} <span class="required">" *"</span>
                        </label>
                        <input
                            id="full_name"
                            name="full_name"
                            type="text"
                            autocomplete="name"
                            maxlength="200"
                            value=values.full_name
                            aria-required="true"
                            aria-invalid=invalid(SignField::FullName)
                            aria-describedby=described(SignField::FullName, None)
                        />
                        {error_view(SignField::FullName)}
                    </div>
                    <div class="field">
                        <label for="email">
                            {locale.t_static("sign.email")} <span class="required">" *"</span>
                        </label>
                        <input
                            id="email"
                            name="email"
                            type="email"
                            autocomplete="email"
                            maxlength="254"
                            value=values.email
                            aria-required="true"
                            aria-invalid=invalid(SignField::Email)
                            aria-describedby=described(SignField::Email, Some("email-hint"))
                        />
                        <p class="hint" id="email-hint">
                            {locale.t_static("sign.email_hint")}
                        </p>
                        {error_view(SignField::Email)}
                    </div>
                    <div class="field">
                        <label for="place">{locale.t_static("sign.place")}</label>
                        <input
                            id="place"
                            name="place"
                            type="text"
                            autocomplete="postal-code"
                            maxlength="200"
                            value=values.place
                            aria-invalid=invalid(SignField::Place)
                            aria-describedby=described(SignField::Place, None)
                        />
                        {error_view(SignField::Place)}
                    </div>
                    <div class="field">
                        <label for="country">{locale.t_static("sign.country")}</label>
                        {children()}
                        {error_view(SignField::Country)}
                    </div>
                    <div class="field check">
                        <input
                            id="consent"
                            name="consent"
                            type="checkbox"
                            checked=ticked(&values.consent)
                            aria-required="true"
                            aria-invalid=invalid(SignField::Consent)
                            aria-describedby=described(SignField::Consent, None)
                        />
                        <label for="consent">
                            {locale.t_static("sign.consent")} " "
                            <a href=locale
                                .path("/privacy", false)>{locale.t_static("sign.privacy_link")}</a>
                            <span class="required">" *"</span>
                        </label>
                        {error_view(SignField::Consent)}
                    </div>
                    <div class="field check">
                        <input
                            id="show_name"
                            name="show_name"
                            type="checkbox"
                            checked=ticked(&values.show_name)
                        />
                        <label for="show_name">{locale.t_static("sign.show_name")}</label>
                    </div>
                    <div class="field check">
                        <input
                            id="keep_informed"
                            name="keep_informed"
                            type="checkbox"
                            checked=ticked(&values.keep_informed)
                        />
                        <label for="keep_informed">{locale.t_static("sign.keep_informed")}</label>
                    </div>
                    // People never see this field; bots that fill every field do.
                    <div class="hp" aria-hidden="true">
                        <label for="website">{locale.t_static("sign.honeypot")}</label>
                        <input
                            id="website"
                            name="website"
                            type="text"
                            tabindex="-1"
                            autocomplete="off"
                        />
                    </div>
                    <button type="submit" disabled=move || pending.get()>
                        {locale.t_static("sign.submit")}
                    </button>
                </form>
            </div>
        </section>
    }
}

/// Posts the form's fields as the browser would, asking for data rather than
/// a page. `Ok(Err(message))` is a refusal by the guards (429, 403).
#[cfg(feature = "hydrate")]
async fn post(
    form: &web_sys::HtmlFormElement,
) -> Result<Result<SignResult, String>, wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let fields = web_sys::FormData::new_with_form(form)?;
    let body = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&fields)?;
    let headers = web_sys::Headers::new()?;
    headers.set("Accept", "application/json")?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&body);
    let response: web_sys::Response =
        JsFuture::from(window().fetch_with_str_and_init(&form.action(), &init))
            .await?
            .dyn_into()?;
    let text = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    match response.status() {
        200 => serde_json::from_str(&text)
            .map(Ok)
            .map_err(|e| e.to_string().into()),
        403 | 429 => Ok(Err(text
            .strip_prefix("ServerError|")
            .unwrap_or(&text)
            .to_owned())),
        _ => Err(text.into()),
    }
}
