//! `/search`: what the box in every page's header finds, with the persons
//! list's filters, a page of hits at a time. A plain GET form: it works with
//! JavaScript off, and a search can be bookmarked or shared.
use super::errors::{ErrorPage, InternalError, NotFound};
use crate::api::persons::PersonFilter;
use crate::api::search::{search, HitKind, Marked, SearchHit, SearchQuery, MOST_HITS, PAGE_SIZE};
use crate::components::{filter_form::PersonFilterFields, DateText};
use crate::i18n::use_locale;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

/// The pages of results there can be.
const LAST_PAGE: usize = MOST_HITS / PAGE_SIZE;

/// The results page a `page` parameter names (from 1); `None`: no such page.
fn page_number(value: Option<&str>) -> Option<usize> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Some(1),
        Some(v) => v.parse().ok().filter(|p| (1..=LAST_PAGE).contains(p)),
    }
}

#[component]
pub fn SearchPage() -> impl IntoView {
    let locale = use_locale();
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let query = use_query_map().get_untracked();
    let text = query.get_str("q").unwrap_or_default().to_owned();
    let parsed = PersonFilter::parse(|name| query.get_str(name));
    let page = page_number(query.get_str("page"));
    let asked = SearchQuery::new(&text, parsed.clone().unwrap_or_default());
    let data = Resource::new(
        || (),
        move |_| search(asked.clone(), page.unwrap_or(1) - 1, locale),
    );
    let title = if text.trim().is_empty() {
        locale.t("search.title")
    } else {
        locale
            .t("search.title_for")
            .replace("%{query}", text.trim())
    };
    view! {
        <Title text=title />
        <Meta name="description" content=locale.t("search.description") />
        // Results are for the one who asked: not for search engines' indexes.
        <Meta name="robots" content="noindex" />
        <h1>{locale.t("search.title")}</h1>
        <Suspense>
            {move || {
                let parsed = parsed.clone();
                let text = text.clone();
                Suspend::new(async move {
                    let found = match data.await {
                        Ok(found) => found,
                        Err(error) => return view! { <InternalError error /> }.into_any(),
                    };
                    let form = |selected: PersonFilter| {
                        view! {
                            <form
                                class="search-form"
                                method="get"
                                action=locale.path("/search", false)
                            >
                                <label class="search-words">
                                    <span>{locale.t("search.label")}</span>
                                    <input
                                        type="search"
                                        name="q"
                                        value=text.clone()
                                        maxlength=crate::api::search::QUERY_MAX_CHARS
                                    />
                                </label>
                                <PersonFilterFields
                                    locale
                                    choices=found.choices.clone()
                                    selected
                                    submit=locale.t("search.submit")
                                />
                            </form>
                        }
                    };
                    let (selected, page) = match (parsed, page) {
                        (Err(error), _) => {
                            let message = error.message(locale);
                            return view! {
                                {form(PersonFilter::default())}
                                <ErrorPage status=400 message />
                            }
                                .into_any();
                        }
                        (_, None) => {
                            let message = locale
                                .t("search.no_such_page")
                                .replace("%{last}", &LAST_PAGE.to_string());
                            return view! {
                                {form(PersonFilter::default())}
                                <ErrorPage status=400 message />
                            }
                                .into_any();
                        }
                        (Ok(selected), Some(page)) => (selected, page),
                    };
                    if text.trim().is_empty() {
                        return view! {
                            {form(selected)}
                            <p>{locale.t("search.hint")}</p>
                        }
                            .into_any();
                    }
                    let hits = found.results.hits;
                    let first = (page - 1) * PAGE_SIZE + 1;
                    let status = if hits.is_empty() {
                        locale.t("search.none").replace("%{query}", text.trim())
                    } else {
                        locale
                            .t("search.showing")
                            .replace("%{from}", &locale.number(first as i64))
                            .replace("%{to}", &locale.number((first + hits.len() - 1) as i64))
                    };
                    let link_to = |page: usize| {
                        let mut params: Vec<(String, String)> = vec![
                            ("q".into(), text.trim().into()),
                        ];
                        for name in PersonFilter::FIELDS {
                            if let Some(value) = query_value(&selected, name) {
                                params.push((name.into(), value));
                            }
                        }
                        params.push(("page".into(), page.to_string()));
                        format!("{}?{}", locale.path("/search", false), encoded(&params))
                    };
                    let previous = (page > 1).then(|| link_to(page - 1));
                    let next = found.results.more.then(|| link_to(page + 1));
                    view! {
                        {form(selected.clone())}
                        <p class="result-count" role="status">
                            {status}
                        </p>
                        <ol class="search-hits" start=first>
                            {hits.into_iter().map(|hit| view! { <Hit hit /> }).collect_view()}
                        </ol>
                        {(previous.is_some() || next.is_some())
                            .then(|| {
                                view! {
                                    <nav class="pager" aria-label=locale.t("search.pages")>
                                        {previous
                                            .map(|href| {
                                                view! {
                                                    <a href=href rel="prev">
                                                        {locale.t("search.previous")}
                                                    </a>
                                                }
                                            })}
                                        {next
                                            .map(|href| {
                                                view! {
                                                    <a href=href rel="next">
                                                        {locale.t("search.next")}
                                                    </a>
                                                }
                                            })}
                                    </nav>
                                }
                            })}
                    }
                        .into_any()
                })
            }}
        </Suspense>
    }
    .into_any()
}

/// A filter's value as the address gives it; `None`: any.
fn query_value(filter: &PersonFilter, name: &str) -> Option<String> {
    match name {
        "rights" => filter.rights.map(|r| r.slug().to_owned()),
        "status" => filter.status.map(|s| s.slug().to_owned()),
        "country" => filter.country.as_ref().map(|c| c.as_str().to_owned()),
        "municipality" => filter.municipality.as_ref().map(|m| m.as_str().to_owned()),
        _ => None,
    }
}

/// `name=value&…`, each value escaped for a query string.
fn encoded(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(name, value)| format!("{name}={}", crate::text::encode_query(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A text with its matching words in `<mark>`; every part escaped.
#[component]
fn MarkedText(marked: Marked) -> impl IntoView {
    let locale = use_locale();
    let lang = (marked.lang != locale).then(|| marked.lang.code());
    view! {
        <span lang=lang>
            {marked
                .parts
                .into_iter()
                .map(|(part, is_match)| {
                    if is_match {
                        view! { <mark>{part}</mark> }.into_any()
                    } else {
                        part.into_any()
                    }
                })
                .collect_view()}
        </span>
    }
}

#[component]
fn Hit(hit: SearchHit) -> impl IntoView {
    let locale = use_locale();
    let href = locale.path(&hit.path(), false);
    let kind = match hit.kind {
        HitKind::Person => "search.kind_person",
        HitKind::StatusEvent => "search.kind_status_event",
        HitKind::SupportAction => "search.kind_support_action",
    };
    let about = (hit.kind != HitKind::Person).then(|| hit.person_name.clone());
    view! {
        <li class="search-hit">
            <p class="hit-kind">{locale.t(kind)}</p>
            <h2>
                <a href=href>
                    <MarkedText marked=hit.title />
                </a>
            </h2>
            {(about.is_some() || hit.occurred_on.is_some())
                .then(|| {
                    view! {
                        <p class="hit-about">
                            {about}
                            {hit
                                .occurred_on
                                .map(|date| {
                                    view! {
                                        " · "
                                        <DateText date />
                                    }
                                })}
                        </p>
                    }
                })}
            {hit
                .excerpt
                .map(|marked| {
                    view! {
                        <p class="hit-excerpt">
                            <MarkedText marked />
                        </p>
                    }
                })}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_a_number_from_one_to_the_last() {
        assert_eq!(page_number(None), Some(1));
        assert_eq!(page_number(Some("")), Some(1));
        assert_eq!(page_number(Some("3")), Some(3));
        assert_eq!(page_number(Some("0")), None);
        assert_eq!(page_number(Some("two")), None);
        assert_eq!(page_number(Some(&(LAST_PAGE + 1).to_string())), None);
    }

    #[test]
    fn a_query_string_value_is_escaped() {
        let params = [("q".to_owned(), "n'guessan & co/é".to_owned())];
        assert_eq!(encoded(&params), "q=n%27guessan%20%26%20co%2F%C3%A9");
    }
}
