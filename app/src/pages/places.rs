//! `/municipalities/{slug}` and `/rights/{slug}`.
use super::errors::{InternalError, NotFound};
use crate::api::places::{get_municipality, get_rights_category};
use crate::components::{person::PersonCard, AdoptionDates, DateText};
use crate::domain::{RightsCategory, Slug};
use crate::i18n::use_locale;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};

#[component]
pub fn MunicipalityPage() -> impl IntoView {
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let Ok(slug) = Slug::parse(&super::slug_param()) else {
        return view! { <NotFound /> }.into_any();
    };
    let locale = use_locale();
    let data = Resource::new(|| (), move |_| get_municipality(slug.clone(), locale));
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let municipality = match data.await {
                    Ok(Some(m)) => m,
                    Ok(None) => return view! { <NotFound /> }.into_any(),
                    Err(error) => return view! { <InternalError error /> }.into_any(),
                };
                let description = locale
                    .t("municipality.description")
                    .replace("%{name}", &municipality.name.text);
                view! {
                    <Title text=municipality.name.text.clone() />
                    <crate::components::FeedLinks
                        base=format!("/municipalities/{}", municipality.slug)
                        title=municipality.name.text.clone()
                    />
                    <Meta name="description" content=description />
                    <h1 lang=municipality
                        .name
                        .lang_attr(locale)>{municipality.name.text.clone()}</h1>
                    {municipality
                        .country
                        .map(|c| view! { <p class="country">{c.name.get(locale).to_owned()}</p> })}
                    {municipality
                        .joined_on
                        .map(|d| {
                            view! {
                                <p class="joined">
                                    {locale.t("municipality.joined")} " " <DateText date=d />
                                </p>
                            }
                        })}
                    <section aria-labelledby="adopted-heading">
                        <h2 id="adopted-heading">{locale.t("municipality.adopted_heading")}</h2>
                        {municipality
                            .adoptions
                            .is_empty()
                            .then(|| view! { <p>{locale.t("municipality.none")}</p> })}
                        <ul class="adopted-persons">
                            {municipality
                                .adoptions
                                .into_iter()
                                .map(|(person, adoption)| {
                                    view! {
                                        <li>
                                            <a href=locale
                                                .path(
                                                    &format!("/persons/{}", person.slug),
                                                    false,
                                                )>{person.full_name}</a>
                                            " · "
                                            <AdoptionDates
                                                adopted_on=adoption.adopted_on
                                                ended_on=adoption.ended_on
                                            />
                                            {adoption
                                                .decision_reference
                                                .map(|r| {
                                                    view! {
                                                        " · "
                                                        {locale.t("person.decision")}
                                                        " "
                                                        {r}
                                                    }
                                                })}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </section>
                }
                    .into_any()
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
pub fn RightsCategoryPage() -> impl IntoView {
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let Ok(category) = RightsCategory::parse(&super::slug_param()) else {
        return view! { <NotFound /> }.into_any();
    };
    let locale = use_locale();
    let data = Resource::new(|| (), move |_| get_rights_category(category, locale));
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let detail = match data.await {
                    Ok(Some(d)) => d,
                    Ok(None) => return view! { <NotFound /> }.into_any(),
                    Err(error) => return view! { <InternalError error /> }.into_any(),
                };
                let name = detail.info.name.get(locale).to_owned();
                let description = locale.t("rights.description").replace("%{name}", &name);
                let list_href = locale.path(&format!("/persons?rights={}", category.slug()), false);
                view! {
                    <Title text=name.clone() />
                    <Meta name="description" content=description.clone() />
                    <h1>{name}</h1>
                    <p class="lead">{description}</p>
                    {detail.persons.is_empty().then(|| view! { <p>{locale.t("rights.none")}</p> })}
                    <ul class="person-cards">
                        {detail
                            .persons
                            .into_iter()
                            .map(|person| view! { <PersonCard person top=true /> })
                            .collect_view()}
                    </ul>
                    <p>
                        <a href=list_href>{locale.t("rights.filter_link")}</a>
                    </p>
                }
                    .into_any()
            })}
        </Suspense>
    }
    .into_any()
}
