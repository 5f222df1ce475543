//! `/persons` (the filtered list) and `/persons/{slug}` (one case).
use super::errors::{ErrorPage, InternalError, NotFound};
use crate::api::persons::{get_person, list_persons, PersonDetail, PersonFilter};
use crate::components::{
    filter_form::{FilterForm, PersonFilterFields},
    person::PersonCard,
    AdoptionDates, DateText, StatusBadge, UntranslatedNote,
};
use crate::domain::Slug;
use crate::i18n::{use_locale, Locale};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

#[component]
pub fn PersonsPage() -> impl IntoView {
    let locale = use_locale();
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let query = use_query_map().get_untracked();
    let parsed = PersonFilter::parse(|name| query.get_str(name));
    let filter = parsed.clone().unwrap_or_default();
    let data = Resource::new(|| (), move |_| list_persons(filter.clone(), locale));
    let title = locale.t("persons.title");
    view! {
        <Title text=title.clone() />
        <Meta name="description" content=locale.t("persons.description") />
        <h1>{title}</h1>
        <Suspense>
            {move || {
                let parsed = parsed.clone();
                Suspend::new(async move {
                    let list = match data.await {
                        Ok(list) => list,
                        Err(error) => return view! { <InternalError error /> }.into_any(),
                    };
                    let action = locale.path("/persons", false);
                    match parsed {
                        Err(error) => {
                            let message = error.message(locale);
                            view! {
                                <FilterForm
                                    action
                                    names=PersonFilter::FIELDS.map(String::from).to_vec()
                                >
                                    <PersonFilterFields
                                        locale
                                        choices=list.choices
                                        selected=PersonFilter::default()
                                    />
                                </FilterForm>
                                <ErrorPage status=400 message />
                            }
                                .into_any()
                        }
                        Ok(selected) => {
                            let count = list.persons.len();
                            let filtered = !selected.is_empty();
                            view! {
                                <FilterForm
                                    action
                                    names=PersonFilter::FIELDS.map(String::from).to_vec()
                                >
                                    <PersonFilterFields locale choices=list.choices selected />
                                </FilterForm>
                                <p class="result-count" role="status">
                                    {locale.counted("persons.count", count)}
                                </p>
                                {(count == 0 && filtered)
                                    .then(|| view! { <p>{locale.t("persons.none_match")}</p> })}
                                <ul class="person-cards">
                                    {list
                                        .persons
                                        .into_iter()
                                        .map(|person| view! { <PersonCard person top=true /> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
    .into_any()
}

#[component]
pub fn PersonPage() -> impl IntoView {
    if super::unknown_language_prefix() {
        return view! { <NotFound /> }.into_any();
    }
    let Ok(slug) = Slug::parse(&super::slug_param()) else {
        return view! { <NotFound /> }.into_any();
    };
    let locale = use_locale();
    let data = Resource::new(|| (), move |_| get_person(slug.clone(), locale));
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(Some(detail)) => view! { <PersonView detail /> }.into_any(),
                    Ok(None) => view! { <NotFound /> }.into_any(),
                    Err(error) => view! { <InternalError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// The person as schema.org sees them: a `Person` whose dated facts are
/// `Event`s about them (`subjectOf`) and whose adopting municipalities are
/// `GovernmentOrganization`s that support them (`sponsor`).
fn structured_data(
    locale: Locale,
    person: &crate::api::PersonSummary,
    timeline: &[crate::api::StatusEventView],
    adoptions: &[crate::api::AdoptionView],
) -> serde_json::Value {
    use crate::components::full_address;
    let url = full_address(&locale.path(&format!("/persons/{}", person.slug), false));
    let events: Vec<serde_json::Value> = timeline
        .iter()
        .map(|e| {
            let mut event = serde_json::json!({
                "@type": "Event",
                "name": e.title.text,
                "startDate": e.occurred_on.to_string(),
                "inLanguage": e.title.lang.code(),
            });
            if let Some(body) = &e.body_html {
                event["description"] = crate::text::plain_text(&body.text).into();
            }
            if let Some(source) = &e.source_url {
                event["url"] = source.clone().into();
            }
            event
        })
        .collect();
    // Sponsors now: an ended adoption is history, told on the page.
    let sponsors: Vec<serde_json::Value> = adoptions
        .iter()
        .filter(|a| a.ended_on.is_none())
        .map(|a| {
            serde_json::json!({
                "@type": "GovernmentOrganization",
                "name": a.municipality.name.text,
                "url": full_address(&locale.path(&format!("/municipalities/{}", a.municipality.slug), false)),
            })
        })
        .collect();
    let mut data = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Person",
        "@id": format!("{url}#person"),
        "name": person.full_name,
        "url": url,
        "subjectOf": events,
        "sponsor": sponsors,
    });
    if let Some(summary) = &person.summary {
        data["description"] = crate::text::plain_text(&summary.text).into();
    }
    if let Some(portrait) = &person.portrait {
        let largest = portrait.largest();
        data["image"] = serde_json::json!({
            "@type": "ImageObject",
            "contentUrl": full_address(&largest.path),
            "width": largest.width,
            "height": largest.height,
            "caption": portrait.alt.text,
        });
    }
    data
}

#[component]
fn PersonView(detail: PersonDetail) -> impl IntoView {
    let locale = use_locale();
    let PersonDetail {
        person,
        timeline,
        adoptions,
        support_actions,
    } = detail;
    let description = person
        .summary
        .as_ref()
        .map(|summary| crate::text::plain_text(&summary.text))
        .unwrap_or_else(|| {
            locale
                .t("person.meta_fallback")
                .replace("%{name}", &person.full_name)
        });
    let country = person
        .country
        .as_ref()
        .map(|c| c.name.get(locale).to_owned());
    let structured = structured_data(locale, &person, &timeline, &adoptions);
    let (follow_slug, follow_name) = (person.slug.to_string(), person.full_name.clone());
    let total: i64 = support_actions.iter().map(|a| a.confirmed + a.paper).sum();
    let total_support = locale
        .t(if total == 1 {
            "person.total_support_one"
        } else {
            "person.total_support_other"
        })
        .replace("%{count}", &locale.number(total));
    view! {
        <Title text=person.full_name.clone() />
        <crate::components::FeedLinks
            base=format!("/persons/{}", person.slug)
            title=person.full_name.clone()
        />
        <Meta name="description" content=description.clone() />
        <Meta property="og:type" content="profile" />
        <Meta property="og:title" content=person.full_name.clone() />
        <Meta property="og:description" content=description />
        {person
            .portrait
            .as_ref()
            .map(|p| {
                let image = crate::components::full_address(&p.largest().path);
                view! {
                    <Meta property="og:image" content=image />
                    <Meta property="og:image:alt" content=p.alt.text.clone() />
                }
            })}
        <crate::components::JsonLd data=structured />
        <article class="person">
            <header class="person-header">
                {person
                    .portrait
                    .clone()
                    .map(|portrait| {
                        view! {
                            <crate::components::person::Portrait portrait width=128 eager=true />
                        }
                    })} <h1>{person.full_name.clone()}</h1> <p class="current-status">
                    <span class="label">{locale.t("person.current_status")}</span>
                    " "
                    <StatusBadge status=person.current_status />
                </p>
                {country
                    .map(|c| {
                        view! {
                            <p class="country">
                                <span class="label">{locale.t("person.country")}</span>
                                " "
                                {c}
                            </p>
                        }
                    })}
            </header>
            // Sanitized when it was stored: what is stored is what is rendered.
            {person
                .summary
                .map(|summary| {
                    view! {
                        <div
                            class="summary"
                            lang=summary.lang_attr(locale)
                            inner_html=summary.text.clone()
                        ></div>
                        <UntranslatedNote texts=vec![Some(summary)] />
                    }
                })}

            {(!person.rights.is_empty())
                .then(|| {
                    view! {
                        <section aria-labelledby="rights-heading">
                            <h2 id="rights-heading">{locale.t("person.rights_heading")}</h2>
                            <ul class="chips">
                                {person
                                    .rights
                                    .iter()
                                    .map(|r| {
                                        view! {
                                            <li>
                                                <a href=locale
                                                    .path(
                                                        &format!("/rights/{}", r.category.slug()),
                                                        false,
                                                    )>{r.name.get(locale).to_owned()}</a>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </section>
                    }
                })}

            <section aria-labelledby="timeline-heading">
                <h2 id="timeline-heading">{locale.t("person.timeline_heading")}</h2>
                {timeline.is_empty().then(|| view! { <p>{locale.t("person.timeline_empty")}</p> })}
                <ol class="timeline">
                    {timeline
                        .into_iter()
                        .map(|event| {
                            view! {
                                <li class="timeline-event">
                                    <p class="event-meta">
                                        <DateText date=event.occurred_on />
                                        {event
                                            .status
                                            .map(|status| {
                                                view! {
                                                    " "
                                                    <StatusBadge status=Some(status) />
                                                }
                                            })}
                                    </p>
                                    <h3 lang=event
                                        .title
                                        .lang_attr(locale)>{event.title.text.clone()}</h3>
                                    {event
                                        .body_html
                                        .clone()
                                        .map(|html| {
                                            view! {
                                                <div
                                                    class="event-body"
                                                    lang=html.lang_attr(locale)
                                                    inner_html=html.text
                                                ></div>
                                            }
                                        })}
                                    <UntranslatedNote texts=vec![
                                        Some(event.title),
                                        event.body_html,
                                        event.source_title.clone(),
                                    ] />
                                    {event
                                        .source_title
                                        .map(|source| {
                                            let lang = source.lang_attr(locale);
                                            let source = match event.source_url {
                                                Some(url) => {
                                                    view! {
                                                        <a href=url rel="noopener noreferrer" lang=lang>
                                                            {source.text}
                                                        </a>
                                                    }
                                                        .into_any()
                                                }
                                                None => {
                                                    view! { <span lang=lang>{source.text}</span> }.into_any()
                                                }
                                            };
                                            view! {
                                                <p class="source">
                                                    {locale.t("person.source")} " " {source}
                                                </p>
                                            }
                                        })}
                                    {event
                                        .from_partner
                                        .map(|partner| {
                                            view! {
                                                <p class="provenance">
                                                    {locale.t("person.from_partner")} " "
                                                    <strong>{partner}</strong>
                                                </p>
                                            }
                                        })}
                                </li>
                            }
                        })
                        .collect_view()}
                </ol>
            </section>

            <section aria-labelledby="adoptions-heading">
                <h2 id="adoptions-heading">{locale.t("person.adoptions_heading")}</h2>
                <ul class="adoptions">
                    {adoptions
                        .into_iter()
                        .map(|a| {
                            view! {
                                <li>
                                    <a
                                        href=locale
                                            .path(
                                                &format!("/municipalities/{}", a.municipality.slug),
                                                false,
                                            )
                                        lang=a.municipality.name.lang_attr(locale)
                                    >
                                        {a.municipality.name.text.clone()}
                                    </a>
                                    " · "
                                    <AdoptionDates adopted_on=a.adopted_on ended_on=a.ended_on />
                                    {a
                                        .decision_reference
                                        .map(|r| {
                                            view! {
                                                " · "
                                                {locale.t("person.decision")}
                                                " "
                                                {r}
                                            }
                                        })}
                                    {a.note.map(|n| view! { <p class="note">{n}</p> })}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>

            {(!support_actions.is_empty())
                .then(|| {
                    view! {
                        <section aria-labelledby="actions-heading">
                            <h2 id="actions-heading">{locale.t("person.actions_heading")}</h2>
                            <p class="total-support">{total_support}</p>
                            <ul class="support-actions">
                                {support_actions
                                    .into_iter()
                                    .map(|a| {
                                        view! {
                                            <li>
                                                <a
                                                    href=locale.path(&format!("/actions/{}", a.slug), false)
                                                    lang=a.title.lang_attr(locale)
                                                >
                                                    {a.title.text.clone()}
                                                </a>
                                                " · "
                                                {locale.t("person.addressee")}
                                                " "
                                                <span lang=a
                                                    .addressee
                                                    .lang_attr(locale)>{a.addressee.text.clone()}</span>
                                                " · "
                                                {locale.signature_count(a.confirmed + a.paper, a.goal)}
                                                " · "
                                                {locale.t(a.availability.key())}
                                                <UntranslatedNote texts=vec![
                                                    Some(a.title),
                                                    Some(a.addressee),
                                                ] />
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </section>
                    }
                })}
            <crate::components::follow_form::FollowForm
                person=follow_slug
                person_name=follow_name
            />
        </article>
    }
}
