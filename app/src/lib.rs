//! Lumières: the case tracker of the Villes Lumières network.
//!
//! Compiled twice: with `ssr` for the server (pages, server functions, the
//! database) and with `hydrate` for the browser, where only the `#[island]`
//! components wake up. Every page works as plain HTML first.
//!
//! The map (README "How it is built" says more): `domain` holds the parsed
//! types, `server` the infrastructure every feature uses, `records` the
//! rules of case records several features share, and each feature owns a
//! folder — `signing`, `feeds`, `accessibility`, and the back office by
//! what it does: `backoffice` (the shell), `cases`, `campaigns`,
//! `publishing`, `network` — with its server functions, its server-only
//! code, its forms and its pages; `api` holds the public reads, `pages` the
//! public pages, `components` the layout and the two islands.
//! This file puts them together: the document, the routes, and the router
//! of the staff pages.
#![forbid(unsafe_code)]
#![recursion_limit = "256"]

// The server knows every string; the browser bundle only those an island
// shows once hydrated (`locales/islands`, which the server reads too, and
// the browser reads as files: `i18n::Locale::t`): every other string would
// be wasm downloaded for nothing.
#[cfg(any(feature = "ssr", not(feature = "hydrate")))]
rust_i18n::i18n!("locales", fallback = "en");

pub mod accessibility;
pub mod api;
pub mod backoffice;
pub mod campaigns;
pub mod cases;
pub mod components;
pub mod domain;
pub mod error;
pub mod feeds;
pub mod i18n;
pub mod network;
pub mod pages;
pub mod privacy;
pub mod publishing;
#[cfg(feature = "ssr")]
pub mod records;
#[cfg(feature = "ssr")]
pub mod server;
pub mod signing;
pub mod text;

use components::layout::{SiteFooter, SiteHeader};
use i18n::Locale;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Html, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{FlatRoutes, Route, Router},
    path, SsrMode,
};
use pages::{
    accessibility::AccessibilityPage,
    actions::{ActionsPage, SupportActionPage},
    errors::NotFound,
    home::HomePage,
    my_data::{MyDataPage, MyDataViewPage},
    open_data::OpenDataPage,
    persons::{PersonPage, PersonsPage},
    places::{MunicipalityPage, RightsCategoryPage},
    search::SearchPage,
    signatures::{
        ConfirmFollowPage, ConfirmSignaturePage, PrivacyPage, UnsubscribePage,
        WithdrawSignaturePage,
    },
};

/// The HTML document around the app; `<html lang>` is set by `App`.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Wakes the islands in the browser; called by the `frontend` crate.
pub fn hydrate_islands() {
    #[cfg(feature = "hydrate")]
    leptos::mount::hydrate_islands();
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let locale = request_locale();
    provide_context(locale);
    #[cfg(feature = "ssr")]
    set_content_security_policy();

    view! {
        <Html {..} lang=locale.code() />
        <Title formatter=|title: String| {
            if title.is_empty() { "Lumières".to_owned() } else { format!("{title} · Lumières") }
        } />
        <Meta property="og:site_name" content="Lumières" />
        <Meta property="og:locale" content=og_locale(locale) />
        <Stylesheet id="leptos" href=stylesheet() />
        <Link rel="icon" href=FAVICON />
        <components::FeedLinks base=String::new() title="Lumières".to_owned() />
        <Router>
            <a class="skip-link" href="#main">
                {locale.t("layout.skip")}
            </a>
            <SiteHeader />
            <main id="main">
                <FlatRoutes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/en") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/fr") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/nl") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/persons") view=PersonsPage ssr=SsrMode::Async />
                    <Route path=path!("/persons/:slug") view=PersonPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/municipalities/:slug")
                        view=MunicipalityPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/rights/:slug") view=RightsCategoryPage ssr=SsrMode::Async />
                    <Route path=path!("/actions") view=ActionsPage ssr=SsrMode::Async />
                    <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async />
                    <Route path=path!("/actions/:slug") view=SupportActionPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/signatures/confirm")
                        view=ConfirmSignaturePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/signatures/withdraw")
                        view=WithdrawSignaturePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/signatures/unsubscribe")
                        view=UnsubscribePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/follows/confirm")
                        view=ConfirmFollowPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/privacy") view=PrivacyPage ssr=SsrMode::Async />
                    <Route path=path!("/my-data") view=MyDataPage ssr=SsrMode::Async />
                    <Route path=path!("/my-data/view") view=MyDataViewPage ssr=SsrMode::Async />
                    <Route path=path!("/accessibility") view=AccessibilityPage ssr=SsrMode::Async />
                    <Route path=path!("/api") view=OpenDataPage ssr=SsrMode::Async />
                    <Route path=path!("/staff") view=StaffRouter ssr=SsrMode::Async />
                    <Route path=path!("/staff/*rest") view=StaffRouter ssr=SsrMode::Async />
                    // After `/persons/:slug`: routes match in order, and
                    // `/:lang/staff` would also match `/persons/staff`.
                    <Route path=path!("/:lang/staff") view=StaffRouter ssr=SsrMode::Async />
                    <Route path=path!("/:lang/staff/*rest") view=StaffRouter ssr=SsrMode::Async />
                    <Route path=path!("/:lang/persons") view=PersonsPage ssr=SsrMode::Async />
                    <Route path=path!("/:lang/actions") view=ActionsPage ssr=SsrMode::Async />
                    <Route path=path!("/:lang/search") view=SearchPage ssr=SsrMode::Async />
                    <Route path=path!("/:lang/persons/:slug") view=PersonPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/:lang/municipalities/:slug")
                        view=MunicipalityPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/:lang/rights/:slug")
                        view=RightsCategoryPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/:lang/actions/:slug")
                        view=SupportActionPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/:lang/signatures/confirm")
                        view=ConfirmSignaturePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/:lang/signatures/withdraw")
                        view=WithdrawSignaturePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/:lang/signatures/unsubscribe")
                        view=UnsubscribePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/:lang/follows/confirm")
                        view=ConfirmFollowPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/:lang/privacy") view=PrivacyPage ssr=SsrMode::Async />
                    <Route path=path!("/:lang/my-data") view=MyDataPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/:lang/my-data/view")
                        view=MyDataViewPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/:lang/accessibility")
                        view=AccessibilityPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/:lang/api") view=OpenDataPage ssr=SsrMode::Async />
                </FlatRoutes>
            </main>
            <SiteFooter />
        </Router>
    }
}

/// Every page under `/staff/…` (and `/fr/staff/…`, `/nl/staff/…`), chosen
/// here from the rest of the path: a handful of routes instead of one per page
/// and language keeps the router's type small enough to compile in reasonable
/// memory. Staff pages live with their features (`backoffice`, `cases`,
/// `campaigns`, `publishing`, `network`, `feeds`).
#[component]
fn StaffRouter() -> impl IntoView {
    use backoffice::pages::admin::{StaffAccountsPage, StaffAuditPage, StaffDataRequestsPage};
    use backoffice::pages::passwords::{
        StaffForgotPasswordPage, StaffOwnAccountPage, StaffPasswordLinkPage,
    };
    use backoffice::pages::{StaffHomePage, StaffLoginCodePage, StaffLoginPage};
    use campaigns::pages::StaffActionPage;
    use cases::pages::{StaffPersonPage, StaffPersonsPage, StaffRequestsPage};
    use feeds::pages::{StaffFeedsPage, StaffInboxPage};
    use network::pages::StaffMunicipalitiesPage;
    use publishing::pages::translations::{StaffTranslatePage, StaffTranslationsPage};
    use publishing::pages::updates::{StaffNewUpdatePage, StaffUpdatePage};
    if pages::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let rest = leptos_router::hooks::use_params_map()
        .read_untracked()
        .get("rest")
        .unwrap_or_default();
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [] => view! { <StaffHomePage /> }.into_any(),
        ["login"] => view! { <StaffLoginPage /> }.into_any(),
        ["login", "code"] => view! { <StaffLoginCodePage /> }.into_any(),
        ["password"] => view! { <StaffPasswordLinkPage /> }.into_any(),
        ["password", "forgot"] => view! { <StaffForgotPasswordPage /> }.into_any(),
        ["account"] => view! { <StaffOwnAccountPage /> }.into_any(),
        ["accounts"] => view! { <StaffAccountsPage /> }.into_any(),
        ["audit"] => view! { <StaffAuditPage /> }.into_any(),
        ["data-requests"] => view! { <StaffDataRequestsPage /> }.into_any(),
        ["municipalities"] => view! { <StaffMunicipalitiesPage /> }.into_any(),
        ["requests"] => view! { <StaffRequestsPage /> }.into_any(),
        ["persons"] => view! { <StaffPersonsPage /> }.into_any(),
        ["persons", slug] => view! { <StaffPersonPage slug=slug.to_string() /> }.into_any(),
        ["persons", slug, "updates", "new"] => {
            view! { <StaffNewUpdatePage slug=slug.to_string() /> }.into_any()
        }
        ["updates", id] => view! { <StaffUpdatePage id=id.to_string() /> }.into_any(),
        ["translations"] => view! { <StaffTranslationsPage /> }.into_any(),
        ["translate", kind, key, language] => view! {
            <StaffTranslatePage
                kind=kind.to_string()
                key=key.to_string()
                language=language.to_string()
            />
        }
        .into_any(),
        ["feeds"] => view! { <StaffFeedsPage /> }.into_any(),
        ["inbox"] => view! { <StaffInboxPage /> }.into_any(),
        ["actions", slug] => view! { <StaffActionPage slug=slug.to_string() /> }.into_any(),
        _ => view! { <NotFound /> }.into_any(),
    }
}

/// The stylesheet's address, in the bundle's versioned folder (given to
/// every render by the router); pages render on the server only.
fn stylesheet() -> String {
    #[cfg(feature = "ssr")]
    if let Some(options) = use_context::<LeptosOptions>() {
        return server::stylesheet(&options);
    }
    "/pkg/lumieres.css".to_owned()
}

/// A lantern, inline so that a first visit makes no extra request for it;
/// a URL, so written with no raw space.
const FAVICON: &str = "data:image/svg+xml,%3Csvg%20xmlns='http://www.w3.org/2000/svg'%20viewBox='0%200%2016%2016'%3E%3Ccircle%20cx='8'%20cy='8'%20r='6'%20fill='%23f2b705'/%3E%3C/svg%3E";

fn og_locale(locale: Locale) -> &'static str {
    match locale {
        Locale::En => "en_GB",
        Locale::Fr => "fr_BE",
        Locale::Nl => "nl_BE",
    }
}

/// The language of this request. On the server it also remembers an explicit
/// choice (a language prefix) in a cookie, for links shared without one.
fn request_locale() -> Locale {
    #[cfg(feature = "ssr")]
    {
        use http::header::{ACCEPT_LANGUAGE, COOKIE, SET_COOKIE, VARY};
        let Some(parts) = use_context::<http::request::Parts>() else {
            return Locale::default();
        };
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v: &http::HeaderValue| v.to_str().ok())
        };
        let path = parts.uri.path();
        let locale = Locale::negotiate(path, header(COOKIE), header(ACCEPT_LANGUAGE));
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.append_header(
                VARY,
                http::HeaderValue::from_static("Accept-Language, Cookie"),
            );
            let (prefix, _) = Locale::split_path(path);
            if let Some(chosen) = prefix {
                let cookie = format!(
                    "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                    Locale::COOKIE,
                    chosen.code()
                );
                if let Ok(value) = http::HeaderValue::from_str(&cookie) {
                    response.append_header(SET_COOKIE, value);
                }
            }
        }
        locale
    }
    #[cfg(not(feature = "ssr"))]
    {
        Locale::default()
    }
}

/// Scripts run only with this response's nonce; wasm may compile; nothing is
/// framed or loaded from elsewhere. Set here because the nonce is per render.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    let (Some(response), Some(nonce)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        leptos::nonce::use_nonce(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'",
        nonce.as_inner()
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}
