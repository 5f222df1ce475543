//! `/api`: the open data explained to the people who will use it (a
//! journalist, a partner NGO's developer, a city's web team), with live
//! examples and every CSV column named.
use super::errors::{InternalError, NotFound};
use crate::i18n::{use_locale, Locale};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use serde::{Deserialize, Serialize};

/// What the page needs from the server: the licence, and slugs that exist
/// here so that every example link answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDataInfo {
    pub licence_name: String,
    pub licence_url: String,
    pub person: Option<String>,
    pub municipality: Option<String>,
    pub action: Option<String>,
}

#[server]
pub async fn open_data_terms() -> Result<OpenDataInfo, crate::error::AppError> {
    let state = crate::server::context::state()?;
    let lang = Locale::En;
    let persons = crate::api::persons::on_server::list(
        &state.db,
        &crate::api::persons::PersonFilter::default(),
        lang,
    )
    .await?;
    let actions = crate::api::actions::on_server::public_actions(&state.db, lang).await?;
    Ok(OpenDataInfo {
        licence_name: state.open_data_licence.name.clone(),
        licence_url: state.open_data_licence.url.clone(),
        person: persons.first().map(|p| p.slug.to_string()),
        municipality: persons
            .iter()
            .find_map(|p| p.municipalities.first())
            .map(|m| m.slug.to_string()),
        action: actions.first().map(|a| a.slug.to_string()),
    })
}

/// (path, example with `{person}`, `{municipality}`, `{action}` filled in,
/// key of what it answers).
const ROUTES: [(&str, &str, &str); 10] = [
    (
        "/api/v1/persons",
        "/api/v1/persons?status=released&limit=2",
        "persons",
    ),
    (
        "/api/v1/persons/{slug}",
        "/api/v1/persons/{person}?lang=fr",
        "person",
    ),
    (
        "/api/v1/municipalities",
        "/api/v1/municipalities",
        "municipalities",
    ),
    (
        "/api/v1/municipalities/{slug}",
        "/api/v1/municipalities/{municipality}?lang=nl",
        "municipality",
    ),
    (
        "/api/v1/rights-categories",
        "/api/v1/rights-categories?lang=fr",
        "rights",
    ),
    ("/api/v1/statuses", "/api/v1/statuses?lang=nl", "statuses"),
    (
        "/api/v1/actions/{slug}",
        "/api/v1/actions/{action}",
        "action",
    ),
    (
        "/api/v1/actions/{slug}/count",
        "/api/v1/actions/{action}/count",
        "count",
    ),
    (
        "/api/v1/actions/{slug}/history",
        "/api/v1/actions/{action}/history?interval=day",
        "history",
    ),
    (
        "/api/v1/actions/{slug}/places",
        "/api/v1/actions/{action}/places",
        "places",
    ),
];

/// The key explaining a CSV column: `*_lang` columns all say the same.
fn column_key(file: &str, column: &str) -> String {
    if column.ends_with("_lang") {
        "open_data.col_lang".to_owned()
    } else {
        format!("open_data.col_{}_{column}", file.replace('-', "_"))
    }
}

#[component]
pub fn OpenDataPage() -> impl IntoView {
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let locale: Locale = use_locale();
    let title = locale.t("open_data.title");
    let terms = Resource::new(|| (), |_| open_data_terms());
    view! {
        <Title text=title.clone() />
        <Meta name="description" content=locale.t("open_data.intro") />
        <section class="open-data">
            <h1>{title}</h1>
            <Suspense>
                {move || Suspend::new(async move {
                    let terms = match terms.await {
                        Ok(terms) => terms,
                        Err(error) => return view! { <InternalError error /> }.into_any(),
                    };
                    let example = |path: &str| {
                        path.replace(
                                "{person}",
                                terms.person.as_deref().unwrap_or("loujain-al-hathloul"),
                            )
                            .replace(
                                "{municipality}",
                                terms.municipality.as_deref().unwrap_or("brussels"),
                            )
                            .replace("{action}", terms.action.as_deref().unwrap_or("solidarity"))
                    };
                    let routes = ROUTES
                        .iter()
                        .map(|(path, sample, key)| {
                            let href = example(sample);
                            view! {
                                <dt>
                                    <code>"GET "{*path}</code>
                                </dt>
                                <dd>
                                    {locale.t(&format!("open_data.route_{key}"))}" "
                                    <a href=href.clone()>
                                        <code>{href.clone()}</code>
                                    </a>
                                </dd>
                            }
                        })
                        .collect_view();
                    let files = crate::api::OPEN_DATA_FILES
                        .iter()
                        .map(|(file, columns)| {
                            let href = format!("/data/{file}.csv");
                            let columns = columns
                                .iter()
                                .map(|column| {
                                    view! {
                                        <dt>
                                            <code>{*column}</code>
                                        </dt>
                                        <dd>{locale.t(&column_key(file, column))}</dd>
                                    }
                                })
                                .collect_view();
                            view! {
                                <h3>
                                    <a href=href.clone()>{href.clone()}</a>
                                </h3>
                                <p>
                                    {locale
                                        .t(&format!("open_data.file_{}", file.replace('-', "_")))}
                                </p>
                                <dl class="columns">{columns}</dl>
                            }
                        })
                        .collect_view();
                    view! {
                        <p>{locale.t("open_data.intro")}</p>
                        <p>
                            {locale.t("open_data.licence")}" "
                            <a rel="license" href=terms.licence_url.clone()>
                                {terms.licence_name.clone()}
                            </a>"."
                        </p>
                        <h2>{locale.t("open_data.api_heading")}</h2>
                        <p>{locale.t("open_data.api_intro")}</p>
                        <p>{locale.t("open_data.api_rules")}</p>
                        <p>
                            {locale.t("open_data.api_document")}" " <a href="/api/v1/openapi.json">
                                <code>"/api/v1/openapi.json"</code>
                            </a>
                        </p>
                        <dl class="routes">{routes}</dl>
                        <h2>{locale.t("open_data.files_heading")}</h2>
                        <p>{locale.t("open_data.files_intro")}</p>
                        {files}
                    }
                        .into_any()
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_and_column_is_explained_in_every_language() {
        let mut keys: Vec<String> = ROUTES
            .iter()
            .map(|(_, _, key)| format!("open_data.route_{key}"))
            .collect();
        for (file, columns) in crate::api::OPEN_DATA_FILES {
            keys.push(format!("open_data.file_{}", file.replace('-', "_")));
            keys.extend(columns.iter().map(|c| column_key(file, c)));
        }
        for locale in Locale::ALL {
            for key in &keys {
                assert_ne!(&locale.t(key), key, "{key} in {}", locale.code());
            }
        }
    }
}
