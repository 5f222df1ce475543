//! The frame around every page: header with navigation and language switcher, footer.
use crate::i18n::{use_locale, Locale};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[component]
pub fn SiteHeader() -> impl IntoView {
    let locale = use_locale();
    view! {
        <header class="site-header">
            <a class="brand" href=locale.path("/", false)>
                <span class="brand-mark" aria-hidden="true"></span>
                "Lumières"
            </a>
            <nav aria-label=locale.t("layout.nav_label")>
                <ul>
                    <li>
                        <a href=locale.path("/", false)>{locale.t("nav.home")}</a>
                    </li>
                    <li>
                        <a href=locale.path("/actions", false)>{locale.t("nav.actions")}</a>
                    </li>
                    <li>
                        <a href=locale.path("/persons", false)>{locale.t("nav.persons")}</a>
                    </li>
                </ul>
            </nav>
            <form
                class="site-search"
                role="search"
                method="get"
                action=locale.path("/search", false)
            >
                <input
                    type="search"
                    name="q"
                    aria-label=locale.t("search.label")
                    maxlength=crate::api::search::QUERY_MAX_CHARS
                />
                <button type="submit">{locale.t("search.submit")}</button>
            </form>
            <LanguageSwitcher />
        </header>
    }
}

/// Links to this same page in the other languages. Plain links: they work
/// without JavaScript and can be bookmarked.
#[component]
fn LanguageSwitcher() -> impl IntoView {
    let locale = use_locale();
    let location = use_location();
    let path = location.pathname.get_untracked();
    let search = location.search.get_untracked();
    let (_, bare) = Locale::split_path(&path);
    let bare = bare.to_owned();
    let query = if search.is_empty() {
        String::new()
    } else {
        format!("?{}", search.trim_start_matches('?'))
    };
    // Search engines take alternates as full addresses only.
    let base = use_context::<super::PublicUrl>()
        .map(|u| u.0)
        .unwrap_or_default();
    let default_href = format!("{base}{bare}{query}");
    view! {
        <leptos_meta::Link rel="alternate" hreflang="x-default" href=default_href />
        <nav class="languages" aria-label=locale.t("layout.language_label")>
            <ul>
                {Locale::ALL
                    .into_iter()
                    .map(|l| {
                        let href = format!("{}{}", l.path(&bare, true), query);
                        let current = (l == locale).then_some("page");
                        // The same page in each language, for search engines.
                        view! {
                            <leptos_meta::Link
                                rel="alternate"
                                hreflang=l.code()
                                href=format!("{base}{href}")
                            />
                            <li>
                                <a href=href hreflang=l.code() lang=l.code() aria-current=current>
                                    {l.endonym()}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    let locale = use_locale();
    view! {
        <footer class="site-footer">
            <p>{locale.t("layout.footer")}</p>
            <p>
                <a href=locale.path("/privacy", false)>{locale.t("layout.privacy")}</a>
                " · "
                <a href=locale
                    .path(crate::privacy::ASK_PAGE, false)>{locale.t("layout.my_data")}</a>
                " · "
                <a href=locale.path("/accessibility", false)>{locale.t("layout.accessibility")}</a>
                " · "
                <a href=locale.path("/api", false)>{locale.t("layout.open_data")}</a>
            </p>
        </footer>
    }
}
