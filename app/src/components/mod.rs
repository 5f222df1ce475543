//! Pieces shared by several pages: the layout, the person card, dates and
//! statuses, feed links, and the two islands (the persons filter and the
//! signing form), which are all the JavaScript the public site has.
//!
//! May import `api` and `signing` types, `domain`, `i18n`; never `server`
//! (compiled for the browser too) nor the staff or feeds features.
pub mod action;
pub mod filter_form;
pub mod follow_form;
pub mod layout;
pub mod person;
pub mod sign_form;
pub mod webauthn;

use crate::domain::{PartialDate, Status};
use crate::i18n::{use_locale, LangText, Locale};
use leptos::prelude::*;

/// A card's title in a list. `top`: the list is a section of the page
/// itself, so the title is `h2`, right under the page's `h1`; else the list
/// sits under an `h2` and the title is `h3`: heading levels never skip.
#[component]
pub fn CardTitle(top: bool, class: &'static str, children: Children) -> impl IntoView {
    if top {
        view! { <h2 class=class>{children()}</h2> }.into_any()
    } else {
        view! { <h3 class=class>{children()}</h3> }.into_any()
    }
}

/// An island prop the browser never reads: what the server rendered from it
/// (an input's value, a hidden field) is kept by hydration as it is, since
/// tachys neither compares nor sets an attribute or text it finds rendered.
/// It is sent as `null` and is `T::default()` in the browser: no decoder
/// for it in the bundle, and what a signer typed is not written into the
/// page a second time.
#[derive(Clone, Debug, Default)]
pub struct ServerOnly<T>(pub T);

impl<T> serde::Serialize for ServerOnly<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl<'de, T: Default> serde::Deserialize<'de> for ServerOnly<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer)?;
        Ok(Self(T::default()))
    }
}

/// The site's public address (`https://lumieres.example`), given to every
/// page by the server: what a page names itself by where only a full
/// address will do (the `hreflang` alternates).
#[derive(Clone, Debug)]
pub struct PublicUrl(pub String);

/// What a form control's `aria-describedby` names: its hint and its error,
/// when shown, as `{id}-hint` and `{id}-error`.
pub fn described_by(id: &str, hint: bool, error: bool) -> Option<String> {
    let parts: Vec<String> = [
        hint.then(|| format!("{id}-hint")),
        error.then(|| format!("{id}-error")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The honeypot field of a public form (`website`): out of sight and out
/// of the tab order, filled in only by naive bots, whose post is then
/// thanked and dropped.
#[component]
pub fn Honeypot() -> impl IntoView {
    let locale = use_locale();
    view! {
        <div class="hp" aria-hidden="true">
            <label for="website">{locale.t("sign.honeypot")}</label>
            <input id="website" name="website" type="text" tabindex="-1" autocomplete="off" />
        </div>
    }
}

/// The page's full address, for what only takes one (structured data,
/// `hreflang`): the public address and `path`.
pub fn full_address(path: &str) -> String {
    let base = use_context::<PublicUrl>().map(|u| u.0).unwrap_or_default();
    format!("{base}{path}")
}

/// Schema.org structured data about the page, as JSON-LD in the head (a
/// data block: it runs nothing). `<` is written as its JSON escape, so no
/// text in it can close the script element.
#[component]
pub fn JsonLd(data: serde_json::Value) -> impl IntoView {
    let json = data.to_string().replace('<', "\\u003c");
    view! { <leptos_meta::Script type_="application/ld+json">{json}</leptos_meta::Script> }
}

/// The note beside content shown in its original language because it is not
/// translated into the page's yet: "Not yet translated: original in French."
/// `texts`: the item's fields; the note names the first original among them.
/// Nothing when every field is in the page's language.
#[component]
pub fn UntranslatedNote(texts: Vec<Option<LangText>>) -> impl IntoView {
    let locale = use_locale();
    let original = original_among(locale, texts.iter().flatten())?;
    Some(view! { <p class="untranslated">{locale.untranslated_note(original)}</p> })
}

/// The language of the first text that a page in `page`'s language shows as
/// an original, not translated.
pub fn original_among<'a>(
    page: Locale,
    mut texts: impl Iterator<Item = &'a LangText>,
) -> Option<Locale> {
    texts.find(|t| t.lang != page).map(|t| t.lang)
}

/// `<link rel="alternate">` to the Atom and JSON feeds under `base` ("" for
/// the site's), in the page's language.
#[component]
pub fn FeedLinks(base: String, title: String) -> impl IntoView {
    use leptos_meta::Link;
    let locale = use_locale();
    let base = locale.path(if base.is_empty() { "/" } else { &base }, true);
    view! {
        <Link
            rel="alternate"
            type_="application/atom+xml"
            href=format!("{base}/feed.atom")
            title=format!("{title} (Atom)")
        />
        <Link
            rel="alternate"
            type_="application/feed+json"
            href=format!("{base}/feed.json")
            title=format!("{title} (JSON Feed)")
        />
    }
}

/// A partial date in the page's language, machine-readable too.
#[component]
pub fn DateText(date: PartialDate) -> impl IntoView {
    let locale = use_locale();
    view! { <time datetime=date.to_string()>{date.format(locale)}</time> }
}

/// When an adoption began, and ended if it did: "adopted 5 December 2022",
/// or "adopted from 5 December 2022 to March 2025".
#[component]
pub fn AdoptionDates(adopted_on: PartialDate, ended_on: Option<PartialDate>) -> impl IntoView {
    let locale = use_locale();
    match ended_on {
        None => view! {
            {locale.t("person.adopted_on")}
            " "
            <DateText date=adopted_on />
        }
        .into_any(),
        Some(ended_on) => view! {
            {locale.t("person.adopted_from")}
            " "
            <DateText date=adopted_on />
            " "
            {locale.t("person.adopted_until")}
            " "
            <DateText date=ended_on />
        }
        .into_any(),
    }
}

/// The current status of a case, or a plain note that none is recorded.
#[component]
pub fn StatusBadge(status: Option<Status>) -> impl IntoView {
    let locale = use_locale();
    let (class, label) = match status {
        Some(s) if s.is_ongoing() => (
            format!("status status-ongoing status-{}", s.slug()),
            locale.t(&s.label_key()),
        ),
        Some(s) => (
            format!("status status-ended status-{}", s.slug()),
            locale.t(&s.label_key()),
        ),
        None => ("status status-none".to_owned(), locale.t("status.none")),
    };
    view! {
        <span class=class data-status=status.map(Status::slug).unwrap_or("none")>
            {label}
        </span>
    }
}

/// The form a submit event came from: islands read their own form's
/// fields when it is sent.
#[cfg(feature = "hydrate")]
pub(crate) fn submitted_form(ev: &leptos::ev::SubmitEvent) -> Option<web_sys::HtmlFormElement> {
    use wasm_bindgen::JsCast;
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
}
